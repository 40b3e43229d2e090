#!/usr/bin/env python3
"""Generates the C++ API types from kubepp's API schema (src/api/schema/types.json).

Run by the build (see src/api/CMakeLists.txt):
    gen_api_types.py SCHEMA OUT_DIR
writes OUT_DIR/api/types.h (one struct per type, described with Boost.Describe, in dependency
order) and OUT_DIR/api/schema_data.cc (the schema text, for OpenAPI and the patch machinery).

Mapping (see src/api/README.md):
  string/time/bytes -> std::string          (omitted when empty unless required)
  int32/int64/double/bool -> std::optional   (plain when required)
  quantity -> Quantity, int-or-string -> IntOrString, json -> boost::json::value
  [T] -> std::vector<T>, {T} -> std::map<std::string, T>  (omitted when empty unless required)
  struct -> std::optional<T>; plain T when required or named metadata/spec/status/template/
            jobTemplate (Go value structs, always emitted)
C++ keywords get a trailing underscore (namespace_), stripped again for the JSON name.

Protobuf (api/protobuf.h): kProtoNumbers[i] is member i's field number from the schema's "proto"
(N, or (outer << 16) | inner for [outer, inner]: a field of a Go-embedded message; 0 for
apiVersion/kind, which travel in the envelope); kProtoKinds[i] says how a string member (or a
container's string elements) is carried: 't' metav1.Time, 'm' metav1.MicroTime, 'b' bytes
(base64 in C++), 'j' json (RawExtension/FieldsV1 raw JSON bytes), 's' anything else. A type with
no fields gets neither array.
"""
import json
import os
import sys

KEYWORDS = {"namespace", "continue", "operator", "template", "default", "delete", "new", "class",
            "export", "private", "public", "protected", "register", "union", "this", "struct",
            "int", "bool", "float", "double", "char", "long", "short", "auto", "break", "case",
            "const", "do", "else", "enum", "for", "goto", "if", "return", "signed", "sizeof",
            "static", "switch", "typedef", "unsigned", "void", "volatile", "while", "true",
            "false", "friend", "virtual", "inline", "try", "catch", "throw", "using", "and",
            "or", "not", "xor", "module", "import", "requires", "concept"}
VALUE_STRUCT_FIELDS = {"metadata", "spec", "status", "template", "jobTemplate"}
SCALARS = {
    "string": "std::string", "time": "std::string", "microtime": "std::string",
    "bytes": "std::string", "int32": "int32_t", "int64": "int64_t", "double": "double",
    "bool": "bool", "quantity": "Quantity", "int-or-string": "IntOrString",
    "json": "boost::json::value",
}
# Scalars that are optional<> when not required (absent differs from zero).
OPTIONAL_SCALARS = {"int32", "int64", "double", "bool", "int-or-string", "quantity"}


def cpp_type(t):
    if t.startswith("["):
        return f"std::vector<{cpp_type(t[1:-1])}>"
    if t.startswith("{"):
        return f"std::map<std::string, {cpp_type(t[1:-1])}>"
    return SCALARS.get(t, t)


def member_name(name):
    if name in KEYWORDS:
        return name + "_"
    if not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise SystemExit(f"field name {name} is not a C++ identifier")
    return name


def deps_of(t):
    if t.startswith("[") or t.startswith("{"):
        return deps_of(t[1:-1])
    return [] if t in SCALARS else [t]


def field_decl(f, types):
    t = f["type"]
    name = member_name(f["name"])
    required = f.get("required", False)
    always = required
    if t in SCALARS:
        ctype = SCALARS[t]
        if t in OPTIONAL_SCALARS and not required:
            ctype = f"std::optional<{ctype}>"
    elif t.startswith("[") or t.startswith("{"):
        ctype = cpp_type(t)
    else:
        if required or f["name"] in VALUE_STRUCT_FIELDS:
            ctype = t
            always = True
        else:
            ctype = f"std::optional<{t}>"
    return ctype, name, always


PROTO_KINDS = {"time": "t", "microtime": "m", "bytes": "b", "json": "j"}


def base_type(t):
    while t.startswith("[") or t.startswith("{"):
        t = t[1:-1]
    return t


def proto_number(type_name, f):
    n = f.get("proto")
    if isinstance(n, list) and len(n) == 2:
        return f"({n[0]} << 16) | {n[1]}"
    if not isinstance(n, int):
        raise SystemExit(f"{type_name}.{f['name']}: no protobuf number (tools/add_proto_numbers.py)")
    return str(n)


def comment(text, indent):
    text = " ".join(text.split())
    if not text:
        return ""
    first = text.split(". ")[0].rstrip(".")
    if len(first) > 96:
        first = first[:93] + "..."
    return f"{indent}// {first}.\n"


def main():
    schema_path, out_dir = sys.argv[1], sys.argv[2]
    with open(schema_path) as fh:
        schema_text = fh.read()
    schema = json.loads(schema_text)
    types = schema["types"]
    # Topological order: a type after every type it holds by value.
    order, state = [], {}

    def visit(name, stack):
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise SystemExit("recursive API types: " + " -> ".join(stack + [name]))
        state[name] = 1
        for f in types[name]["fields"]:
            for d in deps_of(f["type"]):
                if d not in types:
                    raise SystemExit(f"{name}.{f['name']}: unknown type {d}")
                visit(d, stack + [name])
        state[name] = 2
        order.append(name)

    for name in sorted(types):
        visit(name, [])

    os.makedirs(os.path.join(out_dir, "api"), exist_ok=True)
    out = []
    out.append("// Generated by tools/gen_api_types.py from src/api/schema/types.json. Do not edit.\n")
    out.append("// Kubernetes API level: " + schema["kubernetesVersion"] + "\n")
    out.append("#pragma once\n\n#include <boost/describe/class.hpp>\n#include <boost/json/value.hpp>\n")
    out.append("#include <boost/mp11/list.hpp>\n")
    out.append("#include <cstdint>\n#include <map>\n#include <optional>\n#include <string>\n#include <vector>\n\n")
    out.append('#include "api/scalars.h"\n\nnamespace kubepp::api {\n\n')
    for name in order:
        t = types[name]
        out.append(comment(t.get("description", ""), ""))
        out.append(f"struct {name} {{\n")
        members, mask = [], 0
        for i, f in enumerate(t["fields"]):
            ctype, mname, always = field_decl(f, types)
            if always:
                mask |= 1 << i
            out.append(comment(f.get("description", ""), "  "))
            out.append(f"  {ctype} {mname}{{}};\n")
            members.append(mname)
        if t["fields"]:
            numbers = ", ".join(proto_number(name, f) for f in t["fields"])
            kinds = "".join(PROTO_KINDS.get(base_type(f["type"]), "s") for f in t["fields"])
            out.append("  // Protobuf field number of each member (see tools/gen_api_types.py).\n")
            out.append(f"  static constexpr int kProtoNumbers[] = {{{numbers}}};\n")
            out.append("  // How each member's strings travel in protobuf (see tools/gen_api_types.py).\n")
            out.append(f'  static constexpr char kProtoKinds[] = "{kinds}";\n')
        out.append(f"  // Bit i set: member i is always written (required, or a Go value struct).\n")
        out.append(f"  static constexpr uint64_t kAlwaysEmit = {mask:#x}ULL;\n")
        out.append(f'  static constexpr const char* kOpenApiName = "{t["openapiName"]}";\n')
        gvk = t.get("gvk")
        if gvk:
            out.append(f'  static constexpr const char* kGroup = "{gvk["group"]}";\n')
            out.append(f'  static constexpr const char* kVersion = "{gvk["version"]}";\n')
            out.append(f'  static constexpr const char* kKind = "{gvk["kind"]}";\n')
        out.append(f"  bool operator==(const {name}&) const = default;\n")
        out.append("};\n")
        out.append(f"BOOST_DESCRIBE_STRUCT({name}, (), ({', '.join(members)}))\n\n")
    kinds = [n for n in order if types[n].get("gvk")]
    out.append("// Every type with a group/version/kind (the kinds served and their lists), for code that\n")
    out.append("// picks a type by GVK (api/protobuf.h).\n")
    out.append("using KindTypes = boost::mp11::mp_list<" + ", ".join(kinds) + ">;\n\n")
    out.append("}  // namespace kubepp::api\n")
    with open(os.path.join(out_dir, "api", "types.h"), "w") as fh:
        fh.write("".join(out))

    # The schema text, embedded for OpenAPI and patch metadata.
    chunks = [schema_text[i:i + 8000] for i in range(0, len(schema_text), 8000)]
    with open(os.path.join(out_dir, "api", "schema_data.cc"), "w") as fh:
        fh.write("// Generated by tools/gen_api_types.py. Do not edit.\n")
        fh.write('#include <string_view>\n\nnamespace kubepp::api {\n')
        fh.write("// Split into pieces: compilers limit the length of one string literal.\n")
        fh.write("extern const char* const kSchemaJsonParts[];\nextern const int kSchemaJsonPartCount;\n")
        fh.write("const char* const kSchemaJsonParts[] = {\n")
        for c in chunks:
            fh.write("    R\"KUBEPP(" + c + ")KUBEPP\",\n")
        fh.write("};\n")
        fh.write(f"const int kSchemaJsonPartCount = {len(chunks)};\n")
        fh.write("}  // namespace kubepp::api\n")


if __name__ == "__main__":
    main()
