#include "apiserver/openapi/openapi_proto.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace kubepp::apiserver {
namespace json = boost::json;
namespace pb = ::openapi::v2;

namespace {

std::string Str(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : std::string();
}
bool Bool(const json::value& v) { return v.is_bool() && v.get_bool(); }
double Num(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return 0;
}
int64_t Int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.get_uint64());
  if (v.is_double()) return static_cast<int64_t>(v.get_double());
  return 0;
}
const json::object& Obj(const json::value& v) {
  static const json::object kEmpty;
  return v.is_object() ? v.get_object() : kEmpty;
}
const json::array& Arr(const json::value& v) {
  static const json::array kEmpty;
  return v.is_array() ? v.get_array() : kEmpty;
}

// A JSON value as gnostic's Any: YAML text, ending in a newline as yaml.Marshal's does.
void ToAny(const json::value& v, pb::Any& any) { any.set_yaml(json::serialize(v) + "\n"); }

void AddExtension(std::string_view name, const json::value& v, pb::NamedAny& out) {
  out.set_name(std::string(name));
  ToAny(v, *out.mutable_value());
}

bool IsExtension(std::string_view key) { return key.starts_with("x-"); }

void ToSchema(const json::object& o, pb::Schema& s);

void ToExternalDocs(const json::object& o, pb::ExternalDocs& d) {
  for (const auto& kv : o) {
    if (kv.key() == "description") {
      d.set_description(Str(kv.value()));
    } else if (kv.key() == "url") {
      d.set_url(Str(kv.value()));
    } else if (IsExtension(kv.key())) {
      AddExtension(kv.key(), kv.value(), *d.add_vendor_extension());
    }
  }
}

void ToSchema(const json::object& o, pb::Schema& s) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "$ref") {
      s.set__ref(Str(v));
    } else if (k == "format") {
      s.set_format(Str(v));
    } else if (k == "title") {
      s.set_title(Str(v));
    } else if (k == "description") {
      s.set_description(Str(v));
    } else if (k == "default") {
      ToAny(v, *s.mutable_default_());
    } else if (k == "multipleOf") {
      s.set_multiple_of(Num(v));
    } else if (k == "maximum") {
      s.set_maximum(Num(v));
    } else if (k == "exclusiveMaximum") {
      s.set_exclusive_maximum(Bool(v));
    } else if (k == "minimum") {
      s.set_minimum(Num(v));
    } else if (k == "exclusiveMinimum") {
      s.set_exclusive_minimum(Bool(v));
    } else if (k == "maxLength") {
      s.set_max_length(Int(v));
    } else if (k == "minLength") {
      s.set_min_length(Int(v));
    } else if (k == "pattern") {
      s.set_pattern(Str(v));
    } else if (k == "maxItems") {
      s.set_max_items(Int(v));
    } else if (k == "minItems") {
      s.set_min_items(Int(v));
    } else if (k == "uniqueItems") {
      s.set_unique_items(Bool(v));
    } else if (k == "maxProperties") {
      s.set_max_properties(Int(v));
    } else if (k == "minProperties") {
      s.set_min_properties(Int(v));
    } else if (k == "required") {
      for (const json::value& r : Arr(v)) s.add_required(Str(r));
    } else if (k == "enum") {
      for (const json::value& e : Arr(v)) ToAny(e, *s.add_enum_());
    } else if (k == "additionalProperties") {
      if (v.is_bool()) {
        s.mutable_additional_properties()->set_boolean(v.get_bool());
      } else {
        ToSchema(Obj(v), *s.mutable_additional_properties()->mutable_schema());
      }
    } else if (k == "type") {
      pb::TypeItem* t = s.mutable_type();
      if (v.is_array()) {
        for (const json::value& e : v.get_array()) t->add_value(Str(e));
      } else {
        t->add_value(Str(v));
      }
    } else if (k == "items") {
      pb::ItemsItem* items = s.mutable_items();
      if (v.is_array()) {
        for (const json::value& e : v.get_array()) ToSchema(Obj(e), *items->add_schema());
      } else {
        ToSchema(Obj(v), *items->add_schema());
      }
    } else if (k == "allOf") {
      for (const json::value& e : Arr(v)) ToSchema(Obj(e), *s.add_all_of());
    } else if (k == "properties") {
      pb::Properties* props = s.mutable_properties();  // present even when empty
      for (const auto& p : Obj(v)) {
        pb::NamedSchema* named = props->add_additional_properties();
        named->set_name(std::string(p.key()));
        ToSchema(Obj(p.value()), *named->mutable_value());
      }
    } else if (k == "discriminator") {
      s.set_discriminator(Str(v));
    } else if (k == "readOnly") {
      s.set_read_only(Bool(v));
    } else if (k == "externalDocs") {
      ToExternalDocs(Obj(v), *s.mutable_external_docs());
    } else if (k == "example") {
      ToAny(v, *s.mutable_example());
    } else if (IsExtension(k)) {
      AddExtension(k, v, *s.add_vendor_extension());
    }
  }
}

// The fields shared by the non-body parameter kinds and PrimitivesItems (which lack the
// parameter-only ones: required, in, description, name, allowEmptyValue).
template <typename P>
void ToPrimitive(const json::object& o, P& p) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if constexpr (requires { p.set_name(""); }) {
      if (k == "required") {
        p.set_required(Bool(v));
        continue;
      }
      if (k == "in") {
        p.set_in(Str(v));
        continue;
      }
      if (k == "description") {
        p.set_description(Str(v));
        continue;
      }
      if (k == "name") {
        p.set_name(Str(v));
        continue;
      }
    }
    if constexpr (requires { p.set_allow_empty_value(true); }) {
      if (k == "allowEmptyValue") {
        p.set_allow_empty_value(Bool(v));
        continue;
      }
    }
    if (k == "type") {
      p.set_type(Str(v));
    } else if (k == "format") {
      p.set_format(Str(v));
    } else if (k == "items") {
      ToPrimitive(Obj(v), *p.mutable_items());
    } else if (k == "collectionFormat") {
      p.set_collection_format(Str(v));
    } else if (k == "default") {
      ToAny(v, *p.mutable_default_());
    } else if (k == "maximum") {
      p.set_maximum(Num(v));
    } else if (k == "exclusiveMaximum") {
      p.set_exclusive_maximum(Bool(v));
    } else if (k == "minimum") {
      p.set_minimum(Num(v));
    } else if (k == "exclusiveMinimum") {
      p.set_exclusive_minimum(Bool(v));
    } else if (k == "maxLength") {
      p.set_max_length(Int(v));
    } else if (k == "minLength") {
      p.set_min_length(Int(v));
    } else if (k == "pattern") {
      p.set_pattern(Str(v));
    } else if (k == "maxItems") {
      p.set_max_items(Int(v));
    } else if (k == "minItems") {
      p.set_min_items(Int(v));
    } else if (k == "uniqueItems") {
      p.set_unique_items(Bool(v));
    } else if (k == "enum") {
      for (const json::value& e : Arr(v)) ToAny(e, *p.add_enum_());
    } else if (k == "multipleOf") {
      p.set_multiple_of(Num(v));
    } else if (IsExtension(k)) {
      AddExtension(k, v, *p.add_vendor_extension());
    }
  }
}

void ToBodyParameter(const json::object& o, pb::BodyParameter& p) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "description") {
      p.set_description(Str(v));
    } else if (k == "name") {
      p.set_name(Str(v));
    } else if (k == "in") {
      p.set_in(Str(v));
    } else if (k == "required") {
      p.set_required(Bool(v));
    } else if (k == "schema") {
      ToSchema(Obj(v), *p.mutable_schema());
    } else if (IsExtension(k)) {
      AddExtension(k, v, *p.add_vendor_extension());
    }
  }
}

void ToParametersItem(const json::object& o, pb::ParametersItem& item) {
  if (o.contains("$ref")) {
    pb::JsonReference* ref = item.mutable_json_reference();
    ref->set__ref(Str(o.at("$ref")));
    if (o.contains("description")) ref->set_description(Str(o.at("description")));
    return;
  }
  const std::string in = o.contains("in") ? Str(o.at("in")) : std::string();
  pb::Parameter* p = item.mutable_parameter();
  if (in == "body") {
    ToBodyParameter(o, *p->mutable_body_parameter());
  } else if (in == "query") {
    ToPrimitive(o, *p->mutable_non_body_parameter()->mutable_query_parameter_sub_schema());
  } else if (in == "path") {
    ToPrimitive(o, *p->mutable_non_body_parameter()->mutable_path_parameter_sub_schema());
  } else if (in == "header") {
    ToPrimitive(o, *p->mutable_non_body_parameter()->mutable_header_parameter_sub_schema());
  } else {
    item.clear_oneof();  // formData (and anything else) is not in our subset
  }
}

void ToResponses(const json::object& o, pb::Responses& out) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (IsExtension(k)) {
      AddExtension(k, kv.value(), *out.add_vendor_extension());
      continue;
    }
    pb::NamedResponseValue* named = out.add_response_code();
    named->set_name(std::string(k));
    const json::object& r = Obj(kv.value());
    if (r.contains("$ref")) {
      named->mutable_value()->mutable_json_reference()->set__ref(Str(r.at("$ref")));
      continue;
    }
    pb::Response* resp = named->mutable_value()->mutable_response();
    for (const auto& f : r) {
      if (f.key() == "description") {
        resp->set_description(Str(f.value()));
      } else if (f.key() == "schema") {
        ToSchema(Obj(f.value()), *resp->mutable_schema()->mutable_schema());
      } else if (IsExtension(f.key())) {
        AddExtension(f.key(), f.value(), *resp->add_vendor_extension());
      }
    }
  }
}

void ToSecurityRequirement(const json::object& o, pb::SecurityRequirement& out) {
  for (const auto& kv : o) {
    pb::NamedStringArray* named = out.add_additional_properties();
    named->set_name(std::string(kv.key()));
    pb::StringArray* scopes = named->mutable_value();
    for (const json::value& s : Arr(kv.value())) scopes->add_value(Str(s));
  }
}

void ToOperation(const json::object& o, pb::Operation& op) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "tags") {
      for (const json::value& t : Arr(v)) op.add_tags(Str(t));
    } else if (k == "summary") {
      op.set_summary(Str(v));
    } else if (k == "description") {
      op.set_description(Str(v));
    } else if (k == "externalDocs") {
      ToExternalDocs(Obj(v), *op.mutable_external_docs());
    } else if (k == "operationId") {
      op.set_operation_id(Str(v));
    } else if (k == "produces") {
      for (const json::value& t : Arr(v)) op.add_produces(Str(t));
    } else if (k == "consumes") {
      for (const json::value& t : Arr(v)) op.add_consumes(Str(t));
    } else if (k == "parameters") {
      for (const json::value& p : Arr(v)) ToParametersItem(Obj(p), *op.add_parameters());
    } else if (k == "responses") {
      ToResponses(Obj(v), *op.mutable_responses());
    } else if (k == "schemes") {
      for (const json::value& t : Arr(v)) op.add_schemes(Str(t));
    } else if (k == "deprecated") {
      op.set_deprecated(Bool(v));
    } else if (k == "security") {
      for (const json::value& s : Arr(v)) ToSecurityRequirement(Obj(s), *op.add_security());
    } else if (IsExtension(k)) {
      AddExtension(k, v, *op.add_vendor_extension());
    }
  }
}

void ToPathItem(const json::object& o, pb::PathItem& item) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "$ref") {
      item.set__ref(Str(v));
    } else if (k == "get") {
      ToOperation(Obj(v), *item.mutable_get());
    } else if (k == "put") {
      ToOperation(Obj(v), *item.mutable_put());
    } else if (k == "post") {
      ToOperation(Obj(v), *item.mutable_post());
    } else if (k == "delete") {
      ToOperation(Obj(v), *item.mutable_delete_());
    } else if (k == "options") {
      ToOperation(Obj(v), *item.mutable_options());
    } else if (k == "head") {
      ToOperation(Obj(v), *item.mutable_head());
    } else if (k == "patch") {
      ToOperation(Obj(v), *item.mutable_patch());
    } else if (k == "parameters") {
      for (const json::value& p : Arr(v)) ToParametersItem(Obj(p), *item.add_parameters());
    } else if (IsExtension(k)) {
      AddExtension(k, v, *item.add_vendor_extension());
    }
  }
}

void ToInfo(const json::object& o, pb::Info& info) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "title") {
      info.set_title(Str(v));
    } else if (k == "version") {
      info.set_version(Str(v));
    } else if (k == "description") {
      info.set_description(Str(v));
    } else if (k == "termsOfService") {
      info.set_terms_of_service(Str(v));
    } else if (k == "contact") {
      const json::object& c = Obj(v);
      pb::Contact* contact = info.mutable_contact();
      if (c.contains("name")) contact->set_name(Str(c.at("name")));
      if (c.contains("url")) contact->set_url(Str(c.at("url")));
      if (c.contains("email")) contact->set_email(Str(c.at("email")));
    } else if (k == "license") {
      const json::object& l = Obj(v);
      pb::License* license = info.mutable_license();
      if (l.contains("name")) license->set_name(Str(l.at("name")));
      if (l.contains("url")) license->set_url(Str(l.at("url")));
    } else if (IsExtension(k)) {
      AddExtension(k, v, *info.add_vendor_extension());
    }
  }
}

void ToSecurityDefinitions(const json::object& o, pb::SecurityDefinitions& out) {
  for (const auto& kv : o) {
    const json::object& d = Obj(kv.value());
    const std::string type = d.contains("type") ? Str(d.at("type")) : std::string();
    if (type != "apiKey" && type != "basic") continue;  // OAuth2 is not in our subset
    pb::NamedSecurityDefinitionsItem* named = out.add_additional_properties();
    named->set_name(std::string(kv.key()));
    if (type == "apiKey") {
      pb::ApiKeySecurity* s = named->mutable_value()->mutable_api_key_security();
      for (const auto& f : d) {
        if (f.key() == "type") {
          s->set_type(Str(f.value()));
        } else if (f.key() == "name") {
          s->set_name(Str(f.value()));
        } else if (f.key() == "in") {
          s->set_in(Str(f.value()));
        } else if (f.key() == "description") {
          s->set_description(Str(f.value()));
        } else if (IsExtension(f.key())) {
          AddExtension(f.key(), f.value(), *s->add_vendor_extension());
        }
      }
    } else {
      pb::BasicAuthenticationSecurity* s =
          named->mutable_value()->mutable_basic_authentication_security();
      for (const auto& f : d) {
        if (f.key() == "type") {
          s->set_type(Str(f.value()));
        } else if (f.key() == "description") {
          s->set_description(Str(f.value()));
        } else if (IsExtension(f.key())) {
          AddExtension(f.key(), f.value(), *s->add_vendor_extension());
        }
      }
    }
  }
}

}  // namespace

pb::Document SwaggerToProto(const json::object& swagger) {
  pb::Document doc;
  for (const auto& kv : swagger) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "swagger") {
      doc.set_swagger(Str(v));
    } else if (k == "info") {
      ToInfo(Obj(v), *doc.mutable_info());
    } else if (k == "host") {
      doc.set_host(Str(v));
    } else if (k == "basePath") {
      doc.set_base_path(Str(v));
    } else if (k == "schemes") {
      for (const json::value& s : Arr(v)) doc.add_schemes(Str(s));
    } else if (k == "consumes") {
      for (const json::value& s : Arr(v)) doc.add_consumes(Str(s));
    } else if (k == "produces") {
      for (const json::value& s : Arr(v)) doc.add_produces(Str(s));
    } else if (k == "paths") {
      pb::Paths* paths = doc.mutable_paths();
      for (const auto& p : Obj(v)) {
        if (IsExtension(p.key())) {
          AddExtension(p.key(), p.value(), *paths->add_vendor_extension());
          continue;
        }
        pb::NamedPathItem* named = paths->add_path();
        named->set_name(std::string(p.key()));
        ToPathItem(Obj(p.value()), *named->mutable_value());
      }
    } else if (k == "definitions") {
      pb::Definitions* defs = doc.mutable_definitions();
      for (const auto& d : Obj(v)) {
        pb::NamedSchema* named = defs->add_additional_properties();
        named->set_name(std::string(d.key()));
        ToSchema(Obj(d.value()), *named->mutable_value());
      }
    } else if (k == "parameters") {
      pb::ParameterDefinitions* params = doc.mutable_parameters();
      for (const auto& p : Obj(v)) {
        pb::ParametersItem item;
        ToParametersItem(Obj(p.value()), item);
        if (!item.has_parameter()) continue;
        pb::NamedParameter* named = params->add_additional_properties();
        named->set_name(std::string(p.key()));
        *named->mutable_value() = std::move(*item.mutable_parameter());
      }
    } else if (k == "security") {
      for (const json::value& s : Arr(v)) ToSecurityRequirement(Obj(s), *doc.add_security());
    } else if (k == "securityDefinitions") {
      ToSecurityDefinitions(Obj(v), *doc.mutable_security_definitions());
    } else if (k == "tags") {
      for (const json::value& t : Arr(v)) {
        const json::object& o = Obj(t);
        pb::Tag* tag = doc.add_tags();
        for (const auto& f : o) {
          if (f.key() == "name") {
            tag->set_name(Str(f.value()));
          } else if (f.key() == "description") {
            tag->set_description(Str(f.value()));
          } else if (f.key() == "externalDocs") {
            ToExternalDocs(Obj(f.value()), *tag->mutable_external_docs());
          } else if (IsExtension(f.key())) {
            AddExtension(f.key(), f.value(), *tag->add_vendor_extension());
          }
        }
      }
    } else if (k == "externalDocs") {
      ToExternalDocs(Obj(v), *doc.mutable_external_docs());
    } else if (IsExtension(k)) {
      AddExtension(k, v, *doc.add_vendor_extension());
    }
  }
  return doc;
}

}  // namespace kubepp::apiserver
