/* templates.h: the LDIF files of etc/ldap, compiled into the tool (tools/embed.sh).
 * tsr_template_get() finds one by file name; placeholders are @NAME@. */
#ifndef TSR_TEMPLATES_H
#define TSR_TEMPLATES_H

struct tsr_template {
	const char *name, *text;
};
extern const struct tsr_template tsr_templates[];

#endif
