"""The walkthrough's logic, without the terminal: steps, facts, verification.

`steps` orders the seven steps, detects what is done and summarises changes;
`facts` does each step's work on the account and the disk; `verify` judges
the policy verdict and the live `git ls-remote`. `screens/` draws them.
"""
