"""Make one cheap read-only call per service so a fresh emulator loads its backends.

Usage: python warm_up.py ENDPOINT ACCESS_KEY SECRET_KEY SERVICE...

moto loads each service's backend on first use (SSM alone takes seconds on a busy
machine); warming up keeps those seconds out of the checks under test. Loopback only.
"""

import os
import sys
import urllib.parse

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

CALLS = {
    "sts": lambda c: c.get_caller_identity(),
    "kms": lambda c: c.list_keys(Limit=1),
    "ssm": lambda c: c.describe_parameters(MaxResults=1),
    "s3": lambda c: c.list_buckets(),
}


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: warm_up.py ENDPOINT ACCESS_KEY SECRET_KEY SERVICE...")
    endpoint, key, secret = sys.argv[1:4]
    if urllib.parse.urlsplit(endpoint).hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"warm_up.py: refusing non-loopback endpoint {endpoint!r}")
    for service in sys.argv[4:]:
        if service not in CALLS:
            sys.exit(f"warm_up.py: no warm-up call for {service!r} (known: {', '.join(CALLS)})")
        client = boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}, read_timeout=120),
        )
        CALLS[service](client)


if __name__ == "__main__":
    main()
