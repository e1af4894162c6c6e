"""The plan folder: its files (plan.json, the CSVs), reading plan.json back and writing safely."""
