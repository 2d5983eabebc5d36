"""boto3 clients for moto_server, acting in a chosen account: the one way the test helpers
and scripts/lib/pattern_setup.py talk to moto for set-up and inspection.

    import sys, os
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
    from moto_client import moto_client
    iam = moto_client("iam", "222222222222", endpoint)           # PROD
    s3 = moto_client("s3", "111111111111", endpoint, "eu-west-1")

moto picks the account of an unauthenticated set-up call from its own header
`x-moto-account-id` (docs/development.md#moto); the keys are placeholders that are no
user's, so these clients are for set-up with IAM enforcement off (or before it starts).
"""
import boto3

SETUP_KEY = "setup"


def moto_client(service, account, endpoint, region="us-east-1"):
    """A boto3 client of SERVICE on moto at ENDPOINT whose calls act in ACCOUNT."""
    c = boto3.client(service, endpoint_url=endpoint, region_name=region,
                     aws_access_key_id=SETUP_KEY, aws_secret_access_key=SETUP_KEY)
    c.meta.events.register(
        "before-sign.*.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return c
