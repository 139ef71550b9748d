#!/usr/bin/env python3
"""Generate compact C tables from botocore service models.

usage: gen_models.py BOTOCORE_DATA_DIR OUT_DIR SERVICE...

For each SERVICE (a botocore data directory name such as "ssm" or "elbv2") the
newest API version's service-2.json is read and OUT_DIR/model_<id>.c written,
holding one `const struct dd_service_model`. OUT_DIR/models.c lists them all.
The models themselves never enter the repository; only these tables reach the
binary, so nothing is parsed per request.
"""
import json
import os
import sys

TYPES = {
    "structure": "DD_T_STRUCTURE", "list": "DD_T_LIST", "map": "DD_T_MAP",
    "string": "DD_T_STRING", "integer": "DD_T_INTEGER", "long": "DD_T_LONG",
    "boolean": "DD_T_BOOLEAN", "timestamp": "DD_T_TIMESTAMP", "blob": "DD_T_BLOB",
    "double": "DD_T_DOUBLE", "float": "DD_T_FLOAT",
}
# Operations AWS serves without a signature. Newer models say so with
# "authtype": "none" or "auth": ["smithy.api#noAuth"]; older ones (such as
# python3-botocore 1.29's) leave it to botocore's handlers.py, which disables
# signing for exactly these.
UNSIGNED = {("sts", "AssumeRoleWithSAML"), ("sts", "AssumeRoleWithWebIdentity")}

PROTOCOLS = {"json": "DD_PROTO_JSON", "query": "DD_PROTO_QUERY", "ec2": "DD_PROTO_EC2"}
TS_FORMATS = {None: "DD_TS_DEFAULT", "iso8601": "DD_TS_ISO8601",
              "unixTimestamp": "DD_TS_EPOCH", "rfc822": "DD_TS_RFC822"}


def cstr(s):
    if s is None:
        return "NULL"
    out = ['"']
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 32 <= b < 127 and c != "?":
            out.append(c)
        else:
            out.append('\\%03o' % b)
    out.append('"')
    return "".join(out)


def cident(s):
    return "".join(ch if ch.isalnum() else "_" for ch in s)


def newest_model(data_dir, service):
    versions = sorted(os.listdir(os.path.join(data_dir, service)))
    for v in reversed(versions):
        path = os.path.join(data_dir, service, v, "service-2.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    raise SystemExit("no service-2.json for %s in %s" % (service, data_dir))


def int_bound(v):
    v = int(v)
    return max(min(v, 2**63 - 1), -(2**63))


def generate(service, model):
    md = model["metadata"]
    names = list(model["shapes"].keys())
    index = {n: i for i, n in enumerate(names)}
    if len(names) >= 65535:
        raise SystemExit("%s: too many shapes" % service)
    members, enums, shapes_c = [], [], []

    for name in names:
        sh = model["shapes"][name]
        t = sh["type"]
        flags = []
        if sh.get("flattened"):
            flags.append("DD_SHAPE_FLATTENED")
        if sh.get("sensitive"):
            flags.append("DD_SHAPE_SENSITIVE")
        if sh.get("exception"):
            flags.append("DD_SHAPE_EXCEPTION")
            err = sh.get("error", {})
            if err.get("senderFault", not sh.get("fault")):
                flags.append("DD_SHAPE_SENDER_FAULT")
        if "min" in sh:
            flags.append("DD_SHAPE_HAS_MIN")
        if "max" in sh:
            flags.append("DD_SHAPE_HAS_MAX")
        if sh.get("wrapper"):
            flags.append("DD_SHAPE_WRAPPER")
        count, first, target, key = 0, 0, 0, 0
        member_name = value_name = None
        if t == "structure":
            first = len(members)
            required = set(sh.get("required", []))
            for mname, m in sh.get("members", {}).items():
                mflags = []
                if mname in required:
                    mflags.append("DD_MEMBER_REQUIRED")
                if m.get("flattened"):
                    mflags.append("DD_MEMBER_FLATTENED")
                if m.get("xmlAttribute"):
                    mflags.append("DD_MEMBER_XML_ATTRIBUTE")
                if m.get("idempotencyToken"):
                    mflags.append("DD_MEMBER_IDEMPOTENCY_TOKEN")
                if m.get("deprecated"):
                    mflags.append("DD_MEMBER_DEPRECATED")
                target_shape = model["shapes"][m["shape"]]
                tsf = m.get("timestampFormat", target_shape.get("timestampFormat"))
                members.append("{%s, %s, %s, %d, %s, %s}" % (
                    cstr(mname), cstr(m.get("locationName")), cstr(m.get("queryName")),
                    index[m["shape"]], "|".join(mflags) or "0", TS_FORMATS[tsf]))
            count = len(members) - first
        elif t == "string" and "enum" in sh:
            first = len(enums)
            enums.extend(sh["enum"])
            count = len(sh["enum"])
        elif t == "list":
            target = index[sh["member"]["shape"]]
            member_name = sh["member"].get("locationName")
        elif t == "map":
            key = index[sh["key"]["shape"]]
            target = index[sh["value"]["shape"]]
            member_name = sh["key"].get("locationName")
            value_name = sh["value"].get("locationName")
        ctype = TYPES.get(t, "DD_T_DOCUMENT")
        if sh.get("document"):
            ctype = "DD_T_DOCUMENT"
        err = sh.get("error", {})
        code = err.get("code", name) if sh.get("exception") else None
        shapes_c.append("{%s, %s, %s, %s, %d, %d, %d, %d, %s, %s, %dLL, %dLL, %s, %d}" % (
            cstr(name), ctype, "|".join(flags) or "0",
            TS_FORMATS[sh.get("timestampFormat")], count, first, target, key,
            cstr(member_name), cstr(value_name),
            int_bound(sh.get("min", 0)), int_bound(sh.get("max", 0)),
            cstr(code), err.get("httpStatusCode", 0)))

    errors, ops_c = [], []
    for oname in sorted(model["operations"]):
        op = model["operations"][oname]
        inp = index[op["input"]["shape"]] if "input" in op else -1
        out = index[op["output"]["shape"]] if "output" in op else -1
        wrapper = op.get("output", {}).get("resultWrapper")
        first = len(errors)
        for e in op.get("errors", []):
            errors.append(index[e["shape"]])
        unsigned = (op.get("authtype") == "none" or "smithy.api#noAuth" in op.get("auth", [])
                    or (service, oname) in UNSIGNED)
        oflags = "DD_OP_UNSIGNED" if unsigned else "0"
        ops_c.append("{%s, %d, %d, %s, %d, %d, %s}" % (
            cstr(oname), inp, out, cstr(wrapper), first, len(errors) - first, oflags))

    ident = cident(service)
    lines = ['/* Generated by protocol/gen_models.py from botocore\'s %s %s model. Do not edit. */'
             % (service, md["apiVersion"]), '#include "model.h"', ""]
    lines.append("static const struct dd_member members[] = {")
    lines += ["    %s," % m for m in members] or ["    {0}"]
    lines.append("};")
    lines.append("static const char *const enums[] = {")
    lines += ["    %s," % cstr(e) for e in enums] or ["    NULL"]
    lines.append("};")
    lines.append("static const struct dd_shape shapes[] = {")
    lines += ["    %s," % s for s in shapes_c]
    lines.append("};")
    lines.append("static const uint16_t errors[] = {")
    lines.append("    " + (", ".join(str(e) for e in errors) or "0"))
    lines.append("};")
    lines.append("static const struct dd_operation operations[] = {")
    lines += ["    %s," % o for o in ops_c]
    lines.append("};")
    lines.append("const struct dd_service_model dd_model_%s = {" % ident)
    lines.append("    .id = %s," % cstr(service))
    lines.append("    .service_id = %s," % cstr(md.get("serviceId", service)))
    lines.append("    .endpoint_prefix = %s," % cstr(md["endpointPrefix"]))
    lines.append("    .signing_name = %s," % cstr(md.get("signingName", md["endpointPrefix"])))
    lines.append("    .api_version = %s," % cstr(md["apiVersion"]))
    lines.append("    .target_prefix = %s," % cstr(md.get("targetPrefix")))
    lines.append("    .json_version = %s," % cstr(md.get("jsonVersion")))
    lines.append("    .xml_namespace = %s," % cstr(md.get("xmlNamespace")))
    lines.append("    .protocol = %s," % PROTOCOLS[md["protocol"]])
    lines.append("    .shapes = shapes,")
    lines.append("    .shape_count = %d," % len(shapes_c))
    lines.append("    .members = members,")
    lines.append("    .enums = enums,")
    lines.append("    .operations = operations,")
    lines.append("    .operation_count = %d," % len(ops_c))
    lines.append("    .errors = errors,")
    lines.append("};")
    return "\n".join(lines) + "\n"


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    data_dir, out_dir, services = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out_dir, exist_ok=True)
    for s in services:
        write_if_changed(os.path.join(out_dir, "model_%s.c" % cident(s)),
                         generate(s, newest_model(data_dir, s)))
    idx = ['/* Generated by protocol/gen_models.py. Do not edit. */', '#include "model.h"', ""]
    idx += ["extern const struct dd_service_model dd_model_%s;" % cident(s) for s in services]
    idx.append("const struct dd_service_model *const dd_models[] = {")
    idx += ["    &dd_model_%s," % cident(s) for s in services]
    idx += ["    NULL,", "};"]
    write_if_changed(os.path.join(out_dir, "models.c"), "\n".join(idx) + "\n")


if __name__ == "__main__":
    main()
