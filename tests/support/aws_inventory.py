"""What netcheck-managed resources exist on a local emulator, and small setup actions.

Usage: python aws_inventory.py ENDPOINT ACCESS_KEY SECRET_KEY COMMAND [ARGS]

Commands (JSON on stdout):
  inventory REGION[,REGION…]   functions named netcheck-*, with their environment, tags and
                               VpcConfig; roles under /netcheck/; security groups tagged
                               netcheck:managed; log groups /aws/lambda/netcheck-* with their
                               tags and every log message written to them.
  role NAME POLICY_JSON        create a role trusting lambda.amazonaws.com with one inline
                               policy; prints its ARN.
  assumable-role NAME TRUSTED_ARN  a role (in the caller's account) with an allow-all inline
                               policy that TRUSTED_ARN may assume; prints its ARN.
  get-role NAME                the role, its inline policies and attached policies.

ENDPOINT must be a loopback emulator URL; anything else is refused, so a test can never
reach a real AWS account.
"""

import json
import os
import sys
import urllib.parse

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def client(service, endpoint, key, secret, region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 2}),
    )


def inventory(endpoint, key, secret, regions):
    out = {"functions": [], "roles": [], "security_groups": [], "log_groups": []}
    iam = client("iam", endpoint, key, secret)
    for role in iam.list_roles(PathPrefix="/netcheck/")["Roles"]:
        out["roles"].append(role["RoleName"])
    for region in regions:
        lam = client("lambda", endpoint, key, secret, region)
        for f in lam.list_functions()["Functions"]:
            if not f["FunctionName"].startswith("netcheck-"):
                continue
            tags = lam.list_tags(Resource=f["FunctionArn"]).get("Tags", {})
            out["functions"].append({
                "name": f["FunctionName"],
                "region": region,
                "environment": (f.get("Environment") or {}).get("Variables", {}),
                "tags": tags,
                "vpc": f.get("VpcConfig", {}),
                "role": f.get("Role"),
                "architectures": f.get("Architectures"),
            })
        ec2 = client("ec2", endpoint, key, secret, region)
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "tag-key", "Values": ["netcheck:managed"]}])["SecurityGroups"]
        for g in groups:
            out["security_groups"].append({
                "id": g["GroupId"],
                "region": region,
                "ingress": g.get("IpPermissions", []),
                "egress": g.get("IpPermissionsEgress", []),
                "tags": {t["Key"]: t["Value"] for t in g.get("Tags", [])},
            })
        logs = client("logs", endpoint, key, secret, region)
        for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/netcheck-")["logGroups"]:
            name = g["logGroupName"]
            messages = []
            for s in logs.describe_log_streams(logGroupName=name).get("logStreams", []):
                events = logs.get_log_events(logGroupName=name,
                                             logStreamName=s["logStreamName"])["events"]
                messages.extend(e["message"] for e in events)
            tags = logs.list_tags_log_group(logGroupName=name).get("tags", {})
            out["log_groups"].append({"name": name, "region": region, "tags": tags,
                                      "retention": g.get("retentionInDays"),
                                      "messages": messages})
    return out


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    endpoint, key, secret, command = sys.argv[1:5]
    args = sys.argv[5:]
    host = urllib.parse.urlsplit(endpoint).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"aws_inventory.py: refusing non-loopback endpoint {endpoint!r}")
    iam = client("iam", endpoint, key, secret)
    if command == "inventory":
        print(json.dumps(inventory(endpoint, key, secret, args[0].split(","))))
    elif command == "role":
        name, policy = args
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=name, PolicyName="checks", PolicyDocument=policy)
        print(json.dumps(role["Role"]["Arn"]))
    elif command == "assumable-role":
        name, trusted = args
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        allow = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(allow))
        print(json.dumps(role["Role"]["Arn"]))
    elif command == "get-role":
        (name,) = args
        role = iam.get_role(RoleName=name)["Role"]
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        attached = [p["PolicyArn"] for p in
                    iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        print(json.dumps({"arn": role["Arn"], "inline": inline, "attached": attached,
                          "tags": role.get("Tags", [])}, default=str))
    else:
        sys.exit(f"aws_inventory.py: unknown command {command!r}\n{__doc__}")


if __name__ == "__main__":
    main()
