/*
 * fixtures.h - data the emulator is born with (the JSON files in fixtures/, embedded at build time).
 */
#ifndef DD_FIXTURES_H
#define DD_FIXTURES_H

#include <jansson.h>
#include <stddef.h>

struct dd_fixture {
    const char *name; /* file name without directory and extension */
    const char *data;
    size_t len;
};

extern const struct dd_fixture dd_fixtures[]; /* terminated by a NULL name */

/* The fixture `name` parsed as JSON: a new reference, or NULL if absent or invalid. */
json_t *fixture_json(const char *name);

#endif
