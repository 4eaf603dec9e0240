"""Privacy-preserving record linkage: "seen before?" without anyone seeing who.

When identity is recorded (filter 3), or typed at filter 1 into the optional check box, each
person becomes a keyed Bloom-filter encoding (CLK, clk.py) and two keyed blocking keys; the
key lives in the key store (keys.py). Filter 2 sees only counts, a month, an outcome group and
a yes/no for the region (match.py). Tokens die at purge with the situation's identity.

Why our own CLK and not clkhash/anonlink: both install here (clkhash 0.18.3, anonlink 0.15.3,
last released 2023), but clkhash encodes whole data sets through a versioned schema whose API
changed across versions, and anonlink solves bulk set-to-set matching; here one submission is
matched against an indexed table, keyed with our own key-store secret. The method is theirs
(HMAC keyed double hashing of q-grams into a 1024-bit filter, Dice similarity) in ~60 lines
with no new dependency. Modules are imported directly (no re-exports) to keep the vault's
import of `tokens` free of cycles.
"""
