"""Print what an emulator answers to the Lambda runner's control-plane calls.

Usage: python lambda_facts.py ENDPOINT KEY SECRET [--bootstrap PATH] [--big-zip-mb N]
                              [--skip-invoke] [--sign-sha256] [--only SECTION ...]

ENDPOINT is http://127.0.0.1:PORT of a running ministack (AUTH=true) or moto server
(after reset-auth); KEY/SECRET are an IAM user's keys allowed everything (see
tests/support/iam_setup.py). The facts are written up in tests/EMULATORS.md,
section "Lambda runner (control plane)". Sections: ec2, iam, lambda, logs, sts, and
moto-second-account (moto only, run it before reset-auth with any key: creates role
netcheck-scale in account 111111111111 so the sts section can use it).

--bootstrap PATH zips PATH as `bootstrap` for the big CreateFunction (default: the dev
build of netcheck; it is never invoked). Invokes use a tiny shell `bootstrap` that
speaks the Lambda runtime API with curl. --big-zip-mb N also tries an incompressible
zip of N MB (default 0 = skip). Every run uses fresh names, so it can be re-run
against the same emulator. --sign-sha256 adds a signed x-amz-content-sha256 header to
every request (moto rejects empty-body Lambda GET/DELETE without it). Only ever talks
to the given loopback endpoint.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import time
import urllib.parse
import zipfile

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError, WaiterError  # noqa: E402

REGION = "us-east-1"
TAGS = {"netcheck:run-id": "RUN", "netcheck:managed": "true"}
LAST = {}

TINY_BOOTSTRAP = b"""#!/bin/sh
# Minimal provided.al2023 runtime: one event, echo it back, log to stdout/stderr.
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HDRS=$(mktemp)
  EVENT=$(curl -sS -D "$HDRS" "$API/invocation/next")
  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$HDRS" | tr -d '\\r' | cut -d' ' -f2)
  echo "netcheck-facts stdout line id=$ID"
  echo "netcheck-facts stderr line" >&2
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\\"echo\\":$EVENT,\\"env\\":\\"${FACTS_ENV:-unset}\\"}" >/dev/null
done
"""


def record(http_response=None, **_):
    if http_response is not None:
        LAST["status"] = http_response.status_code
        LAST["ctype"] = http_response.headers.get("content-type")
        # Reading the content consumes a streaming body (Invoke's Payload): keep it all.
        LAST["full"] = http_response.content
        LAST["body"] = LAST["full"][:300]


def add_content_sha256(request=None, **_):
    """Sign x-amz-content-sha256 (moto needs it on empty-body GET/DELETE; see --sign-sha256)."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    if hasattr(body, "read"):
        return
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()


SIGN_SHA256 = []


def client(service, endpoint, key, secret, token=None):
    c = boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                     aws_access_key_id=key, aws_secret_access_key=secret,
                     aws_session_token=token,
                     config=Config(retries={"max_attempts": 1}, read_timeout=300,
                                   connect_timeout=5))
    c.meta.events.register("after-call", record)
    if SIGN_SHA256:
        c.meta.events.register("before-sign", add_content_sha256)
    return c


def show(label, value):
    text = json.dumps(value, default=str, sort_keys=True)
    print(f"  {label}: {text[:1200]}")


def probe(label, fn, *args, **kwargs):
    """Run one call; print its (trimmed) result or its error; return the result or None."""
    LAST.clear()
    start = time.monotonic()
    try:
        out = fn(*args, **kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        took = time.monotonic() - start
        print(f"  {label}: ERROR {e.response['ResponseMetadata'].get('HTTPStatusCode')} "
              f"{err.get('Code')!r} {err.get('Message')!r} ({took:.1f}s)")
        print(f"    raw: {LAST.get('ctype')} {LAST.get('body', b'')[:300]!r}")
        return None
    except Exception as e:  # noqa: BLE001 - print anything the emulator breaks
        print(f"  {label}: EXCEPTION {type(e).__name__}: {e}")
        return None
    took = time.monotonic() - start
    if isinstance(out, dict):
        out = {k: (LAST.get("full", b"").decode("utf-8", "replace")
                   if k == "Payload" else v)
               for k, v in out.items() if k != "ResponseMetadata"}
    show(f"{label} ({took:.1f}s, {LAST.get('status')})", out)
    return out


def zip_bytes(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name)
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    return buf.getvalue()


def section_ec2(c, s):
    print("=== ec2")
    vpcs = probe("DescribeVpcs", c.describe_vpcs)
    if vpcs:
        show("vpcs", [(v["VpcId"], v["CidrBlock"], v.get("IsDefault")) for v in vpcs["Vpcs"]])
    subs = probe("DescribeSubnets (all)", c.describe_subnets)
    if subs:
        show("subnets", [(x["SubnetId"], x["VpcId"], x["CidrBlock"], x["AvailabilityZone"],
                          x.get("DefaultForAz")) for x in subs["Subnets"]])
    vpc = probe("CreateVpc 10.77.0.0/16", c.create_vpc, CidrBlock="10.77.0.0/16")
    vpc_id = vpc["Vpc"]["VpcId"] if vpc else None
    s["vpc"] = vpc_id
    sub = probe("CreateSubnet 10.77.1.0/24 us-east-1a", c.create_subnet, VpcId=vpc_id,
                CidrBlock="10.77.1.0/24", AvailabilityZone="us-east-1a")
    s["subnet"] = sub["Subnet"]["SubnetId"] if sub else None
    probe("DescribeSubnets Filter subnet-id=[unknown]", c.describe_subnets,
          Filters=[{"Name": "subnet-id", "Values": ["subnet-0123456789abcdef0"]}])
    probe("DescribeSubnets SubnetIds=[unknown]", c.describe_subnets,
          SubnetIds=["subnet-0123456789abcdef0"])
    probe("DescribeSubnets Filter subnet-id=[created, unknown]", c.describe_subnets,
          Filters=[{"Name": "subnet-id", "Values": [s["subnet"], "subnet-0123456789abcdef0"]}])
    tags = [{"Key": k, "Value": v.replace("RUN", s["run"])} for k, v in TAGS.items()]
    sg = probe("CreateSecurityGroup +TagSpecifications", c.create_security_group,
               GroupName=f"netcheck-{s['run']}", Description="netcheck egress only",
               VpcId=vpc_id,
               TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}])
    sg_id = sg["GroupId"] if sg else None
    s["sg"] = sg_id
    probe("DescribeSecurityGroups GroupIds", c.describe_security_groups, GroupIds=[sg_id])
    probe("DescribeSecurityGroups Filter tag:netcheck:run-id", c.describe_security_groups,
          Filters=[{"Name": "tag:netcheck:run-id", "Values": [s["run"]]}])
    probe("DescribeSecurityGroups Filter tag-key=netcheck:managed (ids)",
          lambda **kw: [g["GroupId"] for g in c.describe_security_groups(**kw)["SecurityGroups"]],
          Filters=[{"Name": "tag-key", "Values": ["netcheck:managed"]}])
    probe("DescribeSecurityGroups Filter tag:netcheck:run-id=other", c.describe_security_groups,
          Filters=[{"Name": "tag:netcheck:run-id", "Values": ["no-such-run"]}])
    eni = probe("CreateNetworkInterface Groups=[sg]", c.create_network_interface,
                SubnetId=s["subnet"], Groups=[sg_id], Description="facts")
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"] if eni else None
    probe("DescribeNetworkInterfaces Filter group-id", c.describe_network_interfaces,
          Filters=[{"Name": "group-id", "Values": [sg_id]}])
    probe("DeleteSecurityGroup while ENI uses it", c.delete_security_group, GroupId=sg_id)
    if eni_id:
        probe("DeleteNetworkInterface", c.delete_network_interface, NetworkInterfaceId=eni_id)
    probe("DescribeNetworkInterfaces Filter group-id after delete",
          c.describe_network_interfaces, Filters=[{"Name": "group-id", "Values": [sg_id]}])
    probe("DeleteSecurityGroup unknown sg-0123456789abcdef0", c.delete_security_group,
          GroupId="sg-0123456789abcdef0")
    # A second SG for the Lambda function, kept until the lambda section is done.
    sg2 = probe("CreateSecurityGroup (for lambda)", c.create_security_group,
                GroupName=f"netcheck-{s['run']}-fn", Description="netcheck egress only",
                VpcId=vpc_id,
                TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}])
    s["sg_fn"] = sg2["GroupId"] if sg2 else None
    probe("DeleteSecurityGroup (no ENI)", c.delete_security_group, GroupId=sg_id)
    probe("DeleteSecurityGroup again (already deleted)", c.delete_security_group, GroupId=sg_id)


def section_iam(c, s):
    print("=== iam")
    boundary = probe("CreatePolicy (boundary)", c.create_policy,
                     PolicyName=f"nc-boundary-{s['run']}",
                     PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                         {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    tags = [{"Key": k, "Value": v.replace("RUN", s["run"])} for k, v in TAGS.items()]
    kw = dict(RoleName=f"netcheck-{s['run']}-exec", Path="/netcheck/",
              AssumeRolePolicyDocument=json.dumps(trust), Tags=tags)
    if boundary:
        kw["PermissionsBoundary"] = boundary["Policy"]["Arn"]
    role = probe("CreateRole lambda trust +boundary +tags", c.create_role, **kw)
    s["role"] = role["Role"]["Arn"] if role else None
    ec2_trust = dict(trust)
    ec2_trust["Statement"] = [dict(trust["Statement"][0],
                                   Principal={"Service": "ec2.amazonaws.com"})]
    role2 = probe("CreateRole ec2 trust", c.create_role, RoleName=f"nc-{s['run']}-ec2",
                  AssumeRolePolicyDocument=json.dumps(ec2_trust))
    s["role_ec2"] = role2["Role"]["Arn"] if role2 else None


def section_lambda(c, ec2, s, bootstrap_path, big_mb, skip_invoke, logs):
    print("=== lambda")
    run = s["run"]
    tags = {k: v.replace("RUN", run) for k, v in TAGS.items()}
    tiny = zip_bytes("bootstrap", TINY_BOOTSTRAP)
    base = dict(Runtime="provided.al2023", Handler="bootstrap", Architectures=["x86_64"],
                Timeout=30, MemorySize=256)
    acct = s.get("account", "000000000000")
    probe("CreateFunction role does not exist", c.create_function,
          FunctionName=f"nc-{run}-norole", Role=f"arn:aws:iam::{acct}:role/netcheck/nope",
          Code={"ZipFile": tiny}, **base)
    probe("CreateFunction role ARN malformed", c.create_function,
          FunctionName=f"nc-{run}-badarn", Role="not-an-arn", Code={"ZipFile": tiny}, **base)
    if s.get("role_ec2"):
        probe("CreateFunction role trusts only ec2", c.create_function,
              FunctionName=f"nc-{run}-ec2role", Role=s["role_ec2"], Code={"ZipFile": tiny},
              **base)
    probe("CreateFunction VpcConfig unknown subnet/sg", c.create_function,
          FunctionName=f"nc-{run}-badvpc", Role=s["role"], Code={"ZipFile": tiny},
          VpcConfig={"SubnetIds": ["subnet-0123456789abcdef0"],
                     "SecurityGroupIds": ["sg-0123456789abcdef0"]}, **base)
    vpc = {"SubnetIds": [s["subnet"]], "SecurityGroupIds": [s["sg_fn"]]}
    if logs is not None:
        probe("CreateLogGroup /aws/lambda/<tiny fn> (pre-created, tagged)",
              logs.create_log_group, logGroupName=f"/aws/lambda/nc-{run}-tiny", tags=tags)
    fn = probe("CreateFunction tiny, VpcConfig, Tags, Environment", c.create_function,
               FunctionName=f"nc-{run}-tiny", Role=s["role"], Code={"ZipFile": tiny},
               VpcConfig=vpc, Tags=tags, Environment={"Variables": {"FACTS_ENV": "hello"}},
               **base)
    if fn:
        show("  State/LastUpdateStatus in CreateFunction answer",
             [fn.get("State"), fn.get("StateReason"), fn.get("StateReasonCode"),
              fn.get("LastUpdateStatus")])
        s["fn_arn"] = fn["FunctionArn"]
    g = probe("GetFunction right after", c.get_function, FunctionName=f"nc-{run}-tiny")
    if g:
        cfg = g["Configuration"]
        show("  GetFunction State/LastUpdateStatus/VpcConfig/Tags",
             [cfg.get("State"), cfg.get("LastUpdateStatus"), cfg.get("VpcConfig"),
              g.get("Tags")])
    gc = probe("GetFunctionConfiguration", c.get_function_configuration,
               FunctionName=f"nc-{run}-tiny")
    if gc:
        show("  State/LastUpdateStatus", [gc.get("State"), gc.get("LastUpdateStatus")])
    start = time.monotonic()
    try:
        c.get_waiter("function_active_v2").wait(FunctionName=f"nc-{run}-tiny",
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        print(f"  waiter function_active_v2: ok after {time.monotonic() - start:.1f}s")
    except WaiterError as e:
        print(f"  waiter function_active_v2: FAILED {e}")
    lf = probe("ListFunctions (names, tags?)", lambda: [
        (f["FunctionName"], f.get("State"), "Tags" in f, f.get("VpcConfig"))
        for f in c.list_functions()["Functions"]])
    _ = lf
    if s.get("fn_arn"):
        probe("ListTags Resource=arn", c.list_tags, Resource=s["fn_arn"])
        probe("ListTags Resource=arn:…:function:name:qualifier", c.list_tags,
              Resource=s["fn_arn"] + ":$LATEST")
    probe("DescribeNetworkInterfaces Filter group-id (fn sg) after CreateFunction",
          ec2.describe_network_interfaces,
          Filters=[{"Name": "group-id", "Values": [s["sg_fn"]]}])
    probe("DescribeNetworkInterfaces all (ids, descriptions, interface type, requester)",
          lambda: [(n["NetworkInterfaceId"], n.get("Description"), n.get("InterfaceType"),
                    n.get("RequesterId"), [g["GroupId"] for g in n.get("Groups", [])])
                   for n in ec2.describe_network_interfaces()["NetworkInterfaces"]])
    probe("DeleteSecurityGroup while function uses it", ec2.delete_security_group,
          GroupId=s["sg_fn"])
    if not skip_invoke:
        inv = probe("Invoke tiny", c.invoke, FunctionName=f"nc-{run}-tiny",
                    Payload=b'{"k":1}', LogType="Tail")
        if inv:
            show("  FunctionError/LogResult present",
                 [inv.get("FunctionError"), bool(inv.get("LogResult"))])
            if inv.get("LogResult"):
                show("  LogResult decoded",
                     base64.b64decode(inv["LogResult"]).decode("utf-8", "replace"))
        if logs is not None:
            time.sleep(2)
            probe("DescribeLogStreams /aws/lambda/<tiny>", logs.describe_log_streams,
                  logGroupName=f"/aws/lambda/nc-{run}-tiny")
            probe("FilterLogEvents /aws/lambda/<tiny>", lambda: [
                e["message"] for e in logs.filter_log_events(
                    logGroupName=f"/aws/lambda/nc-{run}-tiny")["events"]])
            probe("DescribeLogGroups prefix /aws/lambda/nc- (names, tags?)", lambda: [
                (g["logGroupName"], g.get("arn")) for g in logs.describe_log_groups(
                    logGroupNamePrefix=f"/aws/lambda/nc-{run}")["logGroups"]])
    pend = probe("CreateFunction (no log group pre-created, no VPC)", lambda: c.create_function(
        FunctionName=f"nc-{run}-pend", Role=s["role"], Code={"ZipFile": tiny}, Tags=tags,
        **base)["State"])
    if pend and not skip_invoke:
        probe("Invoke right after create (State Pending)", lambda: {
            k: v for k, v in c.invoke(FunctionName=f"nc-{run}-pend", Payload=b"{}").items()
            if k in ("StatusCode", "FunctionError")})
        if logs is not None:
            time.sleep(1)
            probe("DescribeLogGroups: was /aws/lambda/<pend> auto-created?", lambda: [
                g["logGroupName"] for g in logs.describe_log_groups(
                    logGroupNamePrefix=f"/aws/lambda/nc-{run}-pend")["logGroups"]])
            probe("CreateLogGroup /aws/lambda/<pend> after its Invoke", logs.create_log_group,
                  logGroupName=f"/aws/lambda/nc-{run}-pend", tags=tags)
            probe("DeleteLogGroup /aws/lambda/<pend>", logs.delete_log_group,
                  logGroupName=f"/aws/lambda/nc-{run}-pend")
    if pend:
        probe("DeleteFunction pend", c.delete_function, FunctionName=f"nc-{run}-pend")
    if bootstrap_path:
        with open(bootstrap_path, "rb") as f:
            data = f.read()
        t = time.monotonic()
        big = zip_bytes("bootstrap", data)
        print(f"  zipped {bootstrap_path} ({len(data)} B) -> {len(big)} B "
              f"in {time.monotonic() - t:.1f}s")
        probe(f"CreateFunction dev binary zip {len(big) // 1_000_000} MB", c.create_function,
              FunctionName=f"nc-{run}-big", Role=s["role"], Code={"ZipFile": big},
              VpcConfig=vpc, Tags=tags, **base)
        g = probe("GetFunction big: CodeSize/State", lambda: {
            k: c.get_function(FunctionName=f"nc-{run}-big")["Configuration"].get(k)
            for k in ("CodeSize", "State", "LastUpdateStatus", "CodeSha256")})
        probe("DeleteFunction big", c.delete_function, FunctionName=f"nc-{run}-big")
    if big_mb:
        blob = os.urandom(big_mb * 1_000_000)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("bootstrap", TINY_BOOTSTRAP)
            z.writestr("blob", blob)
        probe(f"CreateFunction incompressible zip {len(buf.getvalue())} B", c.create_function,
              FunctionName=f"nc-{run}-huge", Role=s["role"], Code={"ZipFile": buf.getvalue()},
              **base)
        probe("DeleteFunction huge", c.delete_function, FunctionName=f"nc-{run}-huge")
    probe("DeleteFunction tiny", c.delete_function, FunctionName=f"nc-{run}-tiny")
    probe("DeleteFunction tiny again (unknown)", c.delete_function,
          FunctionName=f"nc-{run}-tiny")
    probe("GetFunction unknown", c.get_function, FunctionName=f"nc-{run}-tiny")
    probe("DescribeNetworkInterfaces Filter group-id after DeleteFunction",
          ec2.describe_network_interfaces,
          Filters=[{"Name": "group-id", "Values": [s["sg_fn"]]}])
    probe("DeleteSecurityGroup fn sg after DeleteFunction", ec2.delete_security_group,
          GroupId=s["sg_fn"])
    for name in ("norole", "badarn", "ec2role", "badvpc"):
        try:
            c.delete_function(FunctionName=f"nc-{run}-{name}")
            print(f"  (cleanup: deleted nc-{run}-{name}, it had been created)")
        except ClientError:
            pass


def section_logs(c, s):
    print("=== logs")
    run = s["run"]
    tags = {k: v.replace("RUN", run) for k, v in TAGS.items()}
    name = f"/aws/lambda/nc-{run}-lg"
    probe("CreateLogGroup with tags", c.create_log_group, logGroupName=name, tags=tags)
    probe("CreateLogGroup again", c.create_log_group, logGroupName=name, tags=tags)
    d = probe("DescribeLogGroups logGroupNamePrefix", c.describe_log_groups,
              logGroupNamePrefix=f"/aws/lambda/nc-{run}")
    arn = d["logGroups"][0].get("arn") if d and d["logGroups"] else None
    probe("DescribeLogGroups prefix with no match", c.describe_log_groups,
          logGroupNamePrefix="/aws/lambda/no-such-prefix-xyz")
    probe("ListTagsLogGroup", c.list_tags_log_group, logGroupName=name)
    if arn:
        probe("ListTagsForResource arn as described", c.list_tags_for_resource,
              resourceArn=arn)
        if arn.endswith(":*"):
            probe("ListTagsForResource arn without :*", c.list_tags_for_resource,
                  resourceArn=arn[:-2])
    probe("DeleteLogGroup", c.delete_log_group, logGroupName=name)
    probe("DeleteLogGroup unknown", c.delete_log_group, logGroupName=name)
    probe("DeleteLogGroup tiny fn group", c.delete_log_group,
          logGroupName=f"/aws/lambda/nc-{run}-tiny")


def section_sts(endpoint, key, secret, s):
    print("=== sts")
    sts = client("sts", endpoint, key, secret)
    iam = client("iam", endpoint, key, secret)
    me = probe("GetCallerIdentity (user)", sts.get_caller_identity)
    if not me:
        return
    acct = me["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": me["Arn"]}, "Action": "sts:AssumeRole"}]}
    role = probe("CreateRole trusting the user", iam.create_role,
                 RoleName=f"nc-{s['run']}-scale",
                 AssumeRolePolicyDocument=json.dumps(trust))
    if role:
        probe("PutRolePolicy allow *", iam.put_role_policy, RoleName=f"nc-{s['run']}-scale",
              PolicyName="all", PolicyDocument=json.dumps({
                  "Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        creds = probe("AssumeRole same account", lambda: sts.assume_role(
            RoleArn=role["Role"]["Arn"], RoleSessionName="netcheck")["Credentials"]
            .get("AccessKeyId"))
        out = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="netcheck")
        cr = out["Credentials"]
        sess = client("sts", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                      cr["SessionToken"])
        probe("GetCallerIdentity (assumed)", sess.get_caller_identity)
        lam = client("lambda", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                     cr["SessionToken"])
        probe("ListFunctions with assumed creds (count)",
              lambda: len(lam.list_functions()["Functions"]))
        _ = creds
    untrusted = probe("CreateRole trusting someone else", iam.create_role,
                      RoleName=f"nc-{s['run']}-untrusted",
                      AssumeRolePolicyDocument=json.dumps({
                          "Version": "2012-10-17", "Statement": [{
                              "Effect": "Allow",
                              "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                              "Action": "sts:AssumeRole"}]}))
    if untrusted:
        probe("AssumeRole not trusted", sts.assume_role, RoleArn=untrusted["Role"]["Arn"],
              RoleSessionName="netcheck")
    other = "111111111111" if acct != "111111111111" else "222222222222"
    probe(f"AssumeRole role in account {other} (exists only after moto-second-account)",
          lambda: {
        k: v for k, v in sts.assume_role(
            RoleArn=f"arn:aws:iam::{other}:role/netcheck-scale",
            RoleSessionName="netcheck").items() if k == "AssumedRoleUser"})
    try:
        out = sts.assume_role(RoleArn=f"arn:aws:iam::{other}:role/netcheck-scale",
                              RoleSessionName="netcheck")
        cr = out["Credentials"]
        sess = client("sts", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                      cr["SessionToken"])
        probe(f"GetCallerIdentity (assumed into {other})", sess.get_caller_identity)
        lam = client("lambda", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                     cr["SessionToken"])
        probe(f"ListFunctions as {other} (count)",
              lambda: len(lam.list_functions()["Functions"]))
        ec2x = client("ec2", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                      cr["SessionToken"])
        probe(f"DescribeSubnets as {other} (ids, owner)", lambda: [
            (x["SubnetId"], x.get("OwnerId")) for x in ec2x.describe_subnets()["Subnets"]])
    except ClientError:
        pass
    # A 12-digit access key id (ministack: a root key naming an account).
    iam_other = client("iam", endpoint, other, "anything")
    xrole = probe(f"CreateRole in account {other} (signed with key id {other}) trusting "
                  f"account {acct}", iam_other.create_role, RoleName="netcheck-scale",
                  AssumeRolePolicyDocument=json.dumps({
                      "Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                          "Action": "sts:AssumeRole"}]}))
    if xrole:
        probe("PutRolePolicy allow * (other account)", iam_other.put_role_policy,
              RoleName="netcheck-scale", PolicyName="all", PolicyDocument=json.dumps({
                  "Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        try:
            out = sts.assume_role(RoleArn=xrole["Role"]["Arn"], RoleSessionName="netcheck")
            cr = out["Credentials"]
            sess = client("sts", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                          cr["SessionToken"])
            probe(f"GetCallerIdentity (user assumed role in {other})", sess.get_caller_identity)
            lam = client("lambda", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                         cr["SessionToken"])
            probe(f"ListFunctions via the {other} role (count)",
                  lambda: len(lam.list_functions()["Functions"]))
            ec2x = client("ec2", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"],
                          cr["SessionToken"])
            probe(f"DescribeSubnets via the {other} role (ids, owner)", lambda: [
                (x["SubnetId"], x.get("OwnerId")) for x in ec2x.describe_subnets()["Subnets"]])
        except ClientError as e:
            print(f"  AssumeRole into {other}: ERROR {e.response.get('Error')}")
        probe(f"DeleteRolePolicy/DeleteRole in {other}", lambda: (
            iam_other.delete_role_policy(RoleName="netcheck-scale", PolicyName="all"),
            iam_other.delete_role(RoleName="netcheck-scale"))[1])
    k12 = client("sts", endpoint, other, "anything")
    probe(f"GetCallerIdentity with access key id {other}", k12.get_caller_identity)
    iam12 = client("iam", endpoint, other, "anything")
    probe(f"IAM ListUsers with access key id {other} (names)",
          lambda: [u["UserName"] for u in iam12.list_users()["Users"]])
    probe("IAM ListUsers as user (names)",
          lambda: [u["UserName"] for u in iam.list_users()["Users"]])


def setup_moto_second_account(endpoint, key, secret, other="111111111111"):
    """moto only, BEFORE reset-auth: make role netcheck-scale in account `other`.

    moto lets anyone assume any role ARN (it does not check that the role exists) and
    then puts the session in that ARN's account; with auth on, calls made with such a
    session need the role to exist there (else 500). So: assume the not-yet-existing
    role, and with that session create it, trusting the default account, allowed *.
    """
    print("=== moto second account setup (before reset-auth)")
    sts = client("sts", endpoint, key, secret)
    cr = sts.assume_role(RoleArn=f"arn:aws:iam::{other}:role/netcheck-scale",
                         RoleSessionName="setup")["Credentials"]
    iam = client("iam", endpoint, cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"])
    home = sts.get_caller_identity()["Account"]
    probe(f"CreateRole netcheck-scale in {other}", iam.create_role, RoleName="netcheck-scale",
          AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
              "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{home}:root"},
              "Action": "sts:AssumeRole"}]}))
    probe("PutRolePolicy allow *", iam.put_role_policy, RoleName="netcheck-scale",
          PolicyName="all", PolicyDocument=json.dumps({
              "Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("key")
    ap.add_argument("secret")
    ap.add_argument("--bootstrap",
                    default=os.path.expanduser("~/.cache/netcheck/target/debug/netcheck"))
    ap.add_argument("--big-zip-mb", type=int, default=0)
    ap.add_argument("--skip-invoke", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--sign-sha256", action="store_true",
                    help="add and sign x-amz-content-sha256 on every request")
    a = ap.parse_args()
    if a.sign_sha256:
        SIGN_SHA256.append(True)
    host = urllib.parse.urlsplit(a.endpoint).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"lambda_facts.py: refusing non-loopback endpoint {a.endpoint!r}")
    only = set(a.only or ["ec2", "iam", "lambda", "logs", "sts"])
    if "moto-second-account" in only:
        setup_moto_second_account(a.endpoint, a.key, a.secret)
        return
    s = {"run": f"f{int(time.time()) % 1_000_000}"}
    print(f"run {s['run']} against {a.endpoint}")
    ec2 = client("ec2", a.endpoint, a.key, a.secret)
    iam = client("iam", a.endpoint, a.key, a.secret)
    lam = client("lambda", a.endpoint, a.key, a.secret)
    logs = client("logs", a.endpoint, a.key, a.secret)
    s["account"] = client("sts", a.endpoint, a.key, a.secret).get_caller_identity()["Account"]
    if "ec2" in only or "lambda" in only:
        section_ec2(ec2, s)
    if "iam" in only or "lambda" in only:
        section_iam(iam, s)
    if "lambda" in only and s.get("role") and s.get("subnet"):
        section_lambda(lam, ec2, s, a.bootstrap if os.path.isfile(a.bootstrap) else None,
                       a.big_zip_mb, a.skip_invoke, logs)
    if "logs" in only:
        section_logs(logs, s)
    if "sts" in only:
        section_sts(a.endpoint, a.key, a.secret, s)


if __name__ == "__main__":
    main()
