"""`onboard audit`: which IAM users of an account (or organization) can use git, and why not.

`download` reads an account in few calls, `judge` evaluates each distinct
policy set once with the policy engine, `findings` groups what an
administrator can act on, `report` writes JSON, CSV and Markdown.
"""
