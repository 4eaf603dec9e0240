"""Privacy-preserving record linkage: "seen before?" without anyone seeing who.

When identity is recorded (filter 3), or typed at filter 1 into the optional check box, each
person becomes a token: a keyed Bloom-filter encoding of the whole name and birth date (CLK,
clk.py), keyed hashes of the birth date and of each name part salted with it (parts.py), and
two keyed blocking keys; the key lives in the key store (keys.py). Two tokens are weighed part
by part (evidence.py: the birth dates must agree, allowing a transposed day and month or a
mistyped year; a sibling's other given name refuses the match; a family name changed at
marriage does not) and taken for one person when the evidence clears a threshold that grows
with the number of earlier situations (match.py). Filter 2 sees only counts, a month, an
outcome group and a yes/no for the region. Tokens die at purge with the situation's identity.

Why our own CLK and not clkhash/anonlink: both install here (clkhash 0.18.3, anonlink 0.15.3,
last released 2023), but clkhash encodes whole data sets through a versioned schema whose API
changed across versions, and anonlink solves bulk set-to-set matching; here one submission is
matched against an indexed table, keyed with our own key-store secret. The CLK is theirs
(HMAC keyed double hashing of q-grams into a 1024-bit filter, Dice similarity) in ~60 lines
with no new dependency. A whole-name CLK alone measured precision 0.88 against 100,000
earlier situations (bench/bench_linkage.py): it cannot tell a twin "Nguyễn Thị Hoa" from a
re-typed "Nguyễn Thị Lan", so the decision now rests on the part-level evidence, and the CLK
stays for tokens stored before it (compared with any token by the old Dice rule, until they
are purged: they cannot be re-encoded, the filter-1 text was never kept). Modules are imported
directly (no re-exports) to keep the vault's import of `tokens` free of cycles.
"""
