#!/usr/bin/env python3
"""Writes each field's protobuf number into kubepp's API schema.

    tools/add_proto_numbers.py [SCHEMA [TABLE]]
reads SCHEMA (default src/api/schema/types.json) and TABLE (default
src/api/schema/proto_numbers.json: {"<openapiName>": {"<jsonFieldName>": N | [outer, inner]}},
upstream's generated.proto numbers) and rewrites SCHEMA with "proto" on every field, right after
"type". Fails, naming them, when a field of SCHEMA has no number in TABLE. Prints the count.

tools/import_api_schema.py applies the same table (apply()) so a re-import keeps the numbers.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SCHEMA = os.path.join(ROOT, "src", "api", "schema", "types.json")
DEFAULT_TABLE = os.path.join(ROOT, "src", "api", "schema", "proto_numbers.json")


def valid_number(n, field_name):
    if isinstance(n, int) and not isinstance(n, bool):
        # 0 only for TypeMeta, which protobuf carries outside the message.
        return n > 0 or field_name in ("apiVersion", "kind")
    return (isinstance(n, list) and len(n) == 2 and
            all(isinstance(x, int) and 0 < x < 65536 for x in n))


def apply(types, table_path=DEFAULT_TABLE):
    """Sets "proto" on every field of `types` (name -> type entry); returns the count."""
    with open(table_path) as fh:
        table = json.load(fh)
    missing, count = [], 0
    for name, entry in types.items():
        numbers = table.get(entry["openapiName"], {})
        for i, field in enumerate(entry["fields"]):
            n = numbers.get(field["name"])
            if n is None or not valid_number(n, field["name"]):
                missing.append(f"{name}.{field['name']} ({entry['openapiName']})")
                continue
            rebuilt = {}
            for key, value in field.items():
                if key != "proto":
                    rebuilt[key] = value
                if key == "type":
                    rebuilt["proto"] = n
            entry["fields"][i] = rebuilt
            count += 1
    if missing:
        raise SystemExit("no protobuf number for:\n  " + "\n  ".join(missing))
    return count


def main():
    schema_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SCHEMA
    table_path = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_TABLE
    with open(schema_path) as fh:
        schema = json.load(fh)
    count = apply(schema["types"], table_path)
    with open(schema_path, "w") as fh:
        json.dump(schema, fh, indent=1, sort_keys=False)
        fh.write("\n")
    print(f"{count} fields of {len(schema['types'])} types have protobuf numbers")


if __name__ == "__main__":
    main()
