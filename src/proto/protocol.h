/* The daemon protocol (docs/PROTOCOL.md) as client and daemon share it:
 * its version and bounds, the names of its operations and error codes,
 * the exact-integer rule for JSON numbers, and the requests' frame. One
 * place for each, so that the two sides cannot drift apart. */
#ifndef PT_PROTO_PROTOCOL_H
#define PT_PROTO_PROTOCOL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define PT_PROTOCOL_VERSION 1
#define PT_PROTOCOL_LINE_MAX 65536 /* bytes of one line, newline included */
/* 2^53: the largest integer a JSON number (a double) holds exactly. */
#define PT_PROTOCOL_INT_MAX INT64_C(9007199254740992)

/* X(ID, "name"): every operation. */
#define PT_PROTOCOL_OPS(X)                                                                         \
	X(HELLO, "hello")                                                                          \
	X(ACQUIRE, "acquire")                                                                      \
	X(RELEASE, "release")                                                                      \
	X(STARTED, "started")                                                                      \
	X(SET_LIMIT, "set_limit")                                                                  \
	X(LEARN, "learn")                                                                          \
	X(MEMO, "memo")                                                                            \
	X(BREAKER, "breaker")                                                                      \
	X(LEASE, "lease")                                                                          \
	X(UNLEASE, "unlease")                                                                      \
	X(RESOURCES, "resources")                                                                  \
	X(STATUS, "status")                                                                        \
	X(EXECUTED, "executed")                                                                    \
	X(METRICS, "metrics")

/* X(ID, "code"): every error code of a reply's "error". */
#define PT_PROTOCOL_ERRORS(X)                                                                      \
	X(BAD_JSON, "bad_json")                                                                    \
	X(BAD_REQUEST, "bad_request")                                                              \
	X(UNKNOWN_OP, "unknown_op")                                                                \
	X(UNSUPPORTED_VERSION, "unsupported_version")                                              \
	X(LINE_TOO_LONG, "line_too_long")                                                          \
	X(TOO_MANY_CLIENTS, "too_many_clients")                                                    \
	X(NOT_FOUND, "not_found")                                                                  \
	X(INFEASIBLE, "infeasible")                                                                \
	X(WAIT_TOO_LONG, "wait_too_long")                                                          \
	X(BUSY, "busy")                                                                            \
	X(INTERNAL, "internal")

#define PT_PROTOCOL_ENUM_OP(id, name) PT_OP_##id,
#define PT_PROTOCOL_ENUM_ERR(id, name) PT_ERR_##id,
typedef enum pt_op { PT_PROTOCOL_OPS(PT_PROTOCOL_ENUM_OP) PT_OP_COUNT } pt_op;
typedef enum pt_proto_error {
	PT_PROTOCOL_ERRORS(PT_PROTOCOL_ENUM_ERR) PT_ERR_COUNT
} pt_proto_error;
#undef PT_PROTOCOL_ENUM_OP
#undef PT_PROTOCOL_ENUM_ERR

const char *pt_op_name(pt_op op);
/* PT_OP_COUNT when name is no operation. */
pt_op pt_op_parse(const char *name);
const char *pt_proto_error_name(pt_proto_error e);
/* PT_ERR_COUNT when code is none of them. */
pt_proto_error pt_proto_error_parse(const char *code);

/* An integer as raw digits: cJSON would print one above 10^15 with 15
 * significant digits, which alters it. NULL when out of memory. */
cJSON *pt_json_int(int64_t v);
/* o[key] = v; false when out of memory. */
bool pt_json_add_int(cJSON *o, const char *key, int64_t v);
/* An integral JSON number within +-2^53 (item may be NULL). */
bool pt_json_read_int(const cJSON *item, int64_t *out);
/* Can v travel as a JSON number exactly? */
bool pt_json_exact(int64_t v);

/* Moves every member of from into into, and frees from (NULL: nothing
 * moves, false). false when out of memory (what did not move is freed). */
bool pt_json_move_members(cJSON *into, cJSON *from);

/* A request's frame: {"v": PT_PROTOCOL_VERSION, "op": name}. NULL when out
 * of memory. */
cJSON *pt_request_new(pt_op op);

#endif
