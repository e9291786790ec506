"""The only package that speaks SQL: tables, migrations, reads and writes.

Raw mail is the source of truth; everything else here can be rebuilt.
"""
