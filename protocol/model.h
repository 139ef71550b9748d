/*
 * model.h - compact, compile-time tables describing AWS service APIs.
 *
 * The tables are generated at build time by protocol/gen_models.py from the
 * botocore service models (service-2.json) installed by python3-botocore.
 * Nothing here is parsed at run time: a request is decoded by walking these
 * tables (see codec.h), validated against them (validate.h) and answered by
 * a handler that sees only a json_t shaped like the operation's input.
 *
 * Indexes are local to one service: a shape's members, enum values and an
 * operation's errors are ranges in that service's flat arrays.
 */
#ifndef DD_MODEL_H
#define DD_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum dd_protocol {
    DD_PROTO_JSON,  /* awsJson 1.0/1.1: X-Amz-Target, JSON bodies */
    DD_PROTO_QUERY, /* awsQuery: form bodies, XML responses */
    DD_PROTO_EC2,   /* ec2Query: form bodies, EC2-flavoured XML */
};

enum dd_type {
    DD_T_STRUCTURE,
    DD_T_LIST,
    DD_T_MAP,
    DD_T_STRING,
    DD_T_INTEGER,
    DD_T_LONG,
    DD_T_BOOLEAN,
    DD_T_TIMESTAMP,
    DD_T_BLOB,
    DD_T_DOUBLE,
    DD_T_FLOAT,
    DD_T_DOCUMENT,
};

enum dd_timestamp_format {
    DD_TS_DEFAULT,   /* the protocol's default: epoch seconds (json), ISO 8601 (query/ec2) */
    DD_TS_ISO8601,
    DD_TS_EPOCH,
    DD_TS_RFC822,
};

/* dd_shape.flags */
#define DD_SHAPE_FLATTENED 0x01u /* list/map serialized without a wrapper element */
#define DD_SHAPE_SENSITIVE 0x02u /* value must never be logged */
#define DD_SHAPE_EXCEPTION 0x04u /* an error shape */
#define DD_SHAPE_SENDER_FAULT 0x08u
#define DD_SHAPE_HAS_MIN 0x10u
#define DD_SHAPE_HAS_MAX 0x20u
#define DD_SHAPE_WRAPPER 0x40u /* RDS-style output wrapper */

/* dd_member.flags */
#define DD_MEMBER_REQUIRED 0x01u
#define DD_MEMBER_FLATTENED 0x02u
#define DD_MEMBER_XML_ATTRIBUTE 0x04u
#define DD_MEMBER_IDEMPOTENCY_TOKEN 0x08u
#define DD_MEMBER_DEPRECATED 0x10u

struct dd_member {
    const char *name;          /* the member's name in the model (also the JSON wire name) */
    const char *location_name; /* query/ec2 XML and form name when it differs, or NULL */
    const char *query_name;    /* ec2 request name (queryName), or NULL */
    uint16_t shape;            /* index of the member's shape in the service's shapes */
    uint8_t flags;             /* DD_MEMBER_* */
    uint8_t timestamp_format;  /* enum dd_timestamp_format, from the member or its shape */
};

struct dd_shape {
    const char *name;
    uint8_t type;             /* enum dd_type */
    uint8_t flags;            /* DD_SHAPE_* */
    uint8_t timestamp_format; /* enum dd_timestamp_format */
    uint16_t count;           /* structure: member count; string: enum value count */
    uint32_t first;           /* structure: first member index; string: first enum index */
    uint16_t target;          /* list: element shape; map: value shape */
    uint16_t key;             /* map: key shape */
    const char *member_name;  /* list: element locationName; map: key locationName (or NULL) */
    const char *value_name;   /* map: value locationName (or NULL) */
    int64_t min, max;         /* length (string/list/map/blob) or value (numbers) bounds */
    const char *error_code;   /* exceptions: the wire code (error.code or the shape name) */
    uint16_t http_status;     /* exceptions: error.httpStatusCode, 0 if unset */
};

/* dd_operation.flags */
#define DD_OP_UNSIGNED 0x01u /* authtype "none": AWS accepts it without a signature */

struct dd_operation {
    const char *name;
    int32_t input;              /* input shape index, or -1 */
    int32_t output;             /* output shape index, or -1 */
    const char *result_wrapper; /* query: <NameResult> element name, or NULL */
    uint32_t first_error;       /* range in the service's errors array */
    uint16_t error_count;
    uint8_t flags; /* DD_OP_* */
};

struct dd_service_model {
    const char *id;              /* botocore directory name: "ssm", "elbv2", ... */
    const char *service_id;      /* metadata.serviceId: "SSM", "Elastic Load Balancing v2" */
    const char *endpoint_prefix; /* "ssm", "elasticloadbalancing", "api.ecr" */
    const char *signing_name;    /* SigV4 credential-scope service name */
    const char *api_version;     /* "2014-11-06" */
    const char *target_prefix;   /* json: X-Amz-Target prefix, else NULL */
    const char *json_version;    /* json: "1.0" or "1.1", else NULL */
    const char *xml_namespace;   /* query/ec2: response xmlns, else NULL */
    enum dd_protocol protocol;
    const struct dd_shape *shapes;
    uint32_t shape_count;
    const struct dd_member *members;
    const char *const *enums;
    const struct dd_operation *operations; /* sorted by name */
    uint32_t operation_count;
    const uint16_t *errors; /* error shape indexes, referenced by operations */
};

/* All generated service models, NULL-terminated. */
extern const struct dd_service_model *const dd_models[];

/* The model whose botocore id is `id`, or NULL. */
const struct dd_service_model *model_find(const char *id);

/* The operation named `name` (binary search), or NULL. */
const struct dd_operation *model_operation(const struct dd_service_model *svc, const char *name);

/* The shape at `index`; `index` must be valid. */
static inline const struct dd_shape *model_shape(const struct dd_service_model *svc, uint32_t index)
{
    return &svc->shapes[index];
}

/* The member of structure `shape` named `name`, or NULL. */
const struct dd_member *model_member(const struct dd_service_model *svc, const struct dd_shape *shape,
                                     const char *name);

#endif
