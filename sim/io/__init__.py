"""Reading inputs (call logs, scenario files) and writing results (atomic files, Parquet, JSON)."""
