"""The PostgreSQL catalog: tables, migrations, the set-based load, and its queries."""
