"""Building blocks of scripts/make_sample_data.py: the invented practice and its files."""
