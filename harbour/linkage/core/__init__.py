"""The linkage kernel: pure Python, no Django. Encodings in, persons out (ADR 41).

`encoding` turns a survivor's identifying fields into keyed per-field Bloom filters (run inside
the owning organisation's boundary); `matching` only ever sees those encodings.
"""
