-- Per calendar month and model family: the month's downloads, and the cumulative and
-- trailing-30-day downloads of mainline models on the month's last captured day, with the family's
-- share of the month's total of each.
{{ downloads_by('family', 'monthly') }}
