"""The PostgreSQL catalog: tables, migrations, the set-based load, and the queries behind `briskk`."""
