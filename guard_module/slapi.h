/* slapi.h: the few entry points and parameter numbers of slapd's SLAPI plugin interface
 * (OpenLDAP 2.5) that the guard uses. Debian ships slapd built with SLAPI but no
 * slapi-plugin.h; these declarations state the interface as slapd 2.5.13 exports it
 * (the numbers were checked against that server). The types stay opaque. */
#ifndef TSR_SLAPI_H
#define TSR_SLAPI_H

#include <ldap.h>

typedef struct slapi_pblock Slapi_PBlock;
typedef struct slapi_entry Slapi_Entry;
typedef struct slapi_attr Slapi_Attr;
typedef struct slapi_value Slapi_Value;

enum {
	SLAPI_PLUGIN_ARGV = 6,
	SLAPI_PLUGIN_ARGC = 7,
	SLAPI_PLUGIN_VERSION = 8,
	SLAPI_PLUGIN_DESCRIPTION = 12,
	SLAPI_PLUGIN_INTOP_RESULT = 15,
	SLAPI_PLUGIN_INTOP_SEARCH_ENTRIES = 16,
	SLAPI_TARGET_DN = 50,
	SLAPI_REQCONTROLS = 51,
	SLAPI_ADD_ENTRY = 60,
	SLAPI_MODIFY_MODS = 90,
	SLAPI_MODRDN_NEWRDN = 100,
	SLAPI_EXT_OP_REQ_OID = 160,
	SLAPI_EXT_OP_REQ_VALUE = 161,
	SLAPI_REQUESTOR_ISROOT = 133,
	SLAPI_CONN_ID = 139,
	SLAPI_REQUESTOR_DN = 141,
	SLAPI_PLUGIN_EXT_OP_FN = 300,
	SLAPI_PLUGIN_EXT_OP_OIDLIST = 301,
	SLAPI_PLUGIN_PRE_MODIFY_FN = 405,
	SLAPI_PLUGIN_PRE_MODRDN_FN = 406,
	SLAPI_PLUGIN_PRE_ADD_FN = 407,
	SLAPI_PLUGIN_PRE_DELETE_FN = 408,
	SLAPI_PLUGIN_POST_MODIFY_FN = 505,
	SLAPI_PLUGIN_POST_ADD_FN = 507,
	SLAPI_PLUGIN_POST_DELETE_FN = 508,
	SLAPI_RESULT_CODE = 881,
};

/* What an extended-operation function returns: it sent the result, or slapd goes on
 * with its own handling of the operation. */
enum {
	SLAPI_PLUGIN_EXTENDED_SENT_RESULT = -1,
	SLAPI_PLUGIN_EXTENDED_NOT_HANDLED = -2,
};

/* A plugin description (SLAPI_PLUGIN_DESCRIPTION). */
struct slapi_plugindesc {
	char *spd_id, *spd_vendor, *spd_version, *spd_description;
};

int slapi_pblock_get(Slapi_PBlock *pb, int arg, void *value);
int slapi_pblock_set(Slapi_PBlock *pb, int arg, void *value);
void slapi_pblock_destroy(Slapi_PBlock *pb);
void slapi_send_ldap_result(Slapi_PBlock *pb, int err, char *matched, char *text, int nentries,
                            struct berval **urls);
/* A search as the server itself; the entries in SLAPI_PLUGIN_INTOP_SEARCH_ENTRIES. */
Slapi_PBlock *slapi_search_internal(char *base, int scope, char *filter, LDAPControl **controls,
                                    char **attrs, int attrsonly);
void slapi_free_search_results_internal(Slapi_PBlock *pb);
int slapi_entry_attr_find(Slapi_Entry *e, char *type, Slapi_Attr **attr);
int slapi_entry_attr_hasvalue(Slapi_Entry *e, const char *type, const char *value);
int slapi_entry_first_attr(const Slapi_Entry *e, Slapi_Attr **attr);
int slapi_entry_next_attr(const Slapi_Entry *e, Slapi_Attr *prev, Slapi_Attr **attr);
int slapi_attr_get_type(const Slapi_Attr *attr, char **type);
int slapi_attr_first_value(Slapi_Attr *a, Slapi_Value **v);
int slapi_attr_next_value(Slapi_Attr *a, int hint, Slapi_Value **v);
const struct berval *slapi_value_get_berval(const Slapi_Value *value);
int slapi_entry_add_string(Slapi_Entry *e, const char *type, const char *value);
/* A modify as the server itself (the rootdn); the result in SLAPI_PLUGIN_INTOP_RESULT.
 * Plugins' own hooks do not run for it. */
Slapi_PBlock *slapi_modify_internal(char *dn, LDAPMod **mods, LDAPControl **controls,
                                    int log_change);
/* Memory that slapd frees (modifications set with SLAPI_MODIFY_MODS). */
char *slapi_ch_calloc(unsigned long nelem, unsigned long size);
char *slapi_ch_strdup(const char *s);
void slapi_ch_free(void **ptr);

#endif
