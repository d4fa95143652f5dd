-- Per calendar month and region (the publishing organization's country bucket): the month's
-- downloads, and the cumulative and trailing-30-day downloads of mainline models on the month's
-- last captured day, with the region's share of the month's total of each.
{{ downloads_by('region', 'monthly') }}
