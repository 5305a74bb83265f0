"""Bulk analysis for clinics and research: many videos, one results table.

* :mod:`pressup.batch.inputs` - which videos (files, folders, patterns, list files) and the
  content and protocol hashes that make a batch resumable;
* :mod:`pressup.batch.job` - one video: the same analysis as ``pressup analyze``, its result
  record, and whether an earlier one can be reused;
* :mod:`pressup.batch.run` - the batch on Ray (or in this process), resumable;
* :mod:`pressup.batch.table` - the sessions and repetitions tables (Parquet and CSV);
* :mod:`pressup.batch.agreement` - adaptive against every-frame answers.
"""
