# Integration: docs/threat-model.md accounts for every row of the hostile-input and fault
# matrix (../shared/RELIABILITY.md, A1..H10): each row appears in its table with a status
# (tested, n/a with a reason, or open with what is missing), every test file cited exists, and every test name cited
# is found in that file. Files that parallel branches add are listed under "Pending merge"
# and are skipped (not failed) until they exist.
. "$TSR_SRC/tests/integration/lib.sh"
DOC=$TSR_SRC/docs/threat-model.md
REL=$TSR_SRC/../shared/RELIABILITY.md
[ -f "$DOC" ] || { fail threat_model_exists "$DOC missing"; finish; }
pass threat_model_exists

OUT=$(python3 - "$DOC" "$REL" "$TSR_SRC" <<'PY'
import os, re, sys

doc, rel, src = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(doc, encoding="utf-8").read()
out = []

# The rows the matrix has: from RELIABILITY.md when it is beside the tree, else its
# section sizes (A 20, B 20, C 12, D 11, E 17, F 7, G 2 = 89).
if os.path.exists(rel):
    want = re.findall(r"^\| ([A-H][0-9]+) \|", open(rel, encoding="utf-8").read(), re.M)
else:
    sizes = {"A": 20, "B": 20, "C": 12, "D": 11, "E": 17, "F": 7, "G": 2, "H": 10}
    want = ["%s%d" % (s, i) for s, n in sizes.items() for i in range(1, n + 1)]
out.append(("ok" if len(want) == 99 else "FAIL", "threat_model_matrix_has_99_rows",
            "%d rows" % len(want)))

rows = {}
for line in text.splitlines():
    m = re.match(r"^\| ([A-H][0-9]+) \| (.*)$", line)
    if not m:
        continue
    cells = [c.strip() for c in m.group(2).rstrip("|").split(" | ")]
    rows.setdefault(m.group(1), []).append(cells)

missing = [r for r in want if r not in rows]
out.append(("FAIL" if missing else "ok", "threat_model_every_row_listed",
            "missing: " + " ".join(missing)))
dups = [r for r, v in rows.items() if len(v) > 1]
out.append(("FAIL" if dups else "ok", "threat_model_rows_listed_once", " ".join(dups)))
extra = [r for r in rows if r not in want]
out.append(("FAIL" if extra else "ok", "threat_model_no_unknown_rows", " ".join(extra)))
bad = []
for r, v in rows.items():
    cells = v[0]
    if len(cells) != 3 or cells[1] not in ("tested", "n/a", "open") or len(cells[2]) < 10:
        bad.append(r)
    elif cells[1] == "tested" and "`tests/" not in cells[2] and "make " not in cells[2]:
        bad.append(r)
out.append(("FAIL" if bad else "ok", "threat_model_rows_have_status_and_evidence",
            "rows: " + " ".join(bad)))

# Citations: `tests/FILE: name, name` (or `tests/FILE` alone).
pending = set(re.findall(r"^- pending: `([^`]+)`", text, re.M))
seen = set()
for path, names in re.findall(r"`(tests/[^`:]+?)(?:: ([^`]+))?`", text):
    full = os.path.join(src, path)
    key = (path, names)
    if key in seen:
        continue
    seen.add(key)
    tag = "threat_model_cites_" + re.sub(r"[^A-Za-z0-9]+", "_", path)
    if not os.path.exists(full):
        if path in pending:
            out.append(("skip", tag, "arrives with another branch"))
        else:
            out.append(("FAIL", tag, "%s does not exist" % path))
        continue
    body = open(full, encoding="utf-8", errors="replace").read()
    lost = [n for n in (x.strip() for x in names.split(",")) if n and n not in body]
    out.append(("FAIL" if lost else "ok", tag + "_" + str(len(seen)),
                "not in %s: %s" % (path, ", ".join(lost))))
for status, name, why in out:
    print("%s %s%s" % (status, name, (": " + why) if status != "ok" else ""))
PY
)
printf '%s\n' "$OUT"
TESTS_FAILED=$((TESTS_FAILED + $(printf '%s\n' "$OUT" | grep -c '^FAIL')))
[ -n "$OUT" ] || fail threat_model_checker "no output"

# The README links the threat model.
grep -q '(docs/threat-model.md)' "$TSR_SRC/README.md" && pass threat_model_linked_from_readme \
	|| fail threat_model_linked_from_readme
finish
