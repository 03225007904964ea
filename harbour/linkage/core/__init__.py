"""The linkage kernel: no Django. Encodings in, persons out (ADR 41).

`encoding` turns a survivor's identifying fields into keyed per-field Bloom filters (run inside
the owning organisation's boundary); `blocking`, `matching` and `clustering` only ever see those
encodings (which pairs to compare, how likely each is one person, persons from the likely
ones); `packed` is the batch run's numpy kernel, tested against their pure-Python reference.
"""
