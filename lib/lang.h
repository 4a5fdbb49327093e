/* lang.h: a user's preferredLanguage as LANG and LANGUAGE for a login session.
 *
 * Hides the map from language tags (BCP 47, as the profile stores them: en-US, de,
 * zh-CN ...) to installed locales (en_US.UTF-8 ...), written in the configuration as
 * "tag=locale" words ([session] languages). Pure: libc only, no I/O, never logs. */
#ifndef TSR_LANG_H
#define TSR_LANG_H

#include <stdbool.h>
#include <stddef.h>

#include "attrs.h"

/* The tags of the product's language list. */
#define TSR_LANG_DEFAULT_MAP                                                                       \
	"en-US=en_US.UTF-8 en-GB=en_GB.UTF-8 de=de_DE.UTF-8 es=es_ES.UTF-8 fr=fr_FR.UTF-8 "        \
	"it=it_IT.UTF-8 ja=ja_JP.UTF-8 zh-CN=zh_CN.UTF-8 pl=pl_PL.UTF-8"

/* A map is valid: words "tag=locale", tag [A-Za-z0-9-] (1-35), locale [A-Za-z0-9_.@-]
 * (1-64), no tag twice. false with *why naming the rule broken. */
bool tsr_lang_map_check(const char *map, const char **why);

/* The locale for tag: exact match (case-insensitive), else its primary subtag (de-AT
 * finds de). lang gets the locale ("de_DE.UTF-8"), language the GNU LANGUAGE list
 * ("de_DE:de"; empty for C and POSIX). -ENOENT when tag is NULL, empty or "default" (the
 * client's own setting stays) or has no entry; -ERANGE when a buffer is too small. */
TSR_MUST_USE int tsr_lang_lookup(const char *map, const char *tag, char *lang, size_t ln,
                                 char *language, size_t gn);

#endif
