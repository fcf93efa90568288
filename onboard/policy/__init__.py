"""The IAM policy engine: parse documents, evaluate requests the way AWS does.

Pure Python, no AWS calls: the walkthrough, the doctor, the sandbox and the
`onboard policy` commands all judge policies through these names.
"""

from onboard.policy.document import Policy, Statement, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import Decision, Evaluation, MatchedStatement, Request, evaluate

__all__ = [
    "Decision",
    "Evaluation",
    "MatchedStatement",
    "Policy",
    "PolicyError",
    "Request",
    "Statement",
    "evaluate",
    "parse_policy",
]
