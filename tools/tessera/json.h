/* json.h: JSON on stdout for --json output: strings escaped (always valid JSON, even
 * for values that are not UTF-8), keys in call order, no allocation. */
#ifndef TSR_TOOL_JSON_H
#define TSR_TOOL_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* JSON writer on stdout: strings escaped, keys in call order. */
struct jw {
	FILE *f;
	int depth;
	bool need_comma[16];
};
void jw_begin_obj(struct jw *j, const char *key);
void jw_end_obj(struct jw *j);
void jw_begin_arr(struct jw *j, const char *key);
void jw_end_arr(struct jw *j);
void jw_str(struct jw *j, const char *key, const char *v); /* NULL → null */
void jw_int(struct jw *j, const char *key, long long v);
void jw_bool(struct jw *j, const char *key, bool v);
void jw_null(struct jw *j, const char *key);
void jw_done(struct jw *j); /* final newline */

#endif
