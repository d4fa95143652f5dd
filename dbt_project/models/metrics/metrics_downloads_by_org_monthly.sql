-- Per calendar month and publishing organization (all its namespaces together): the month's
-- downloads, and the cumulative and trailing-30-day downloads of mainline models on the month's
-- last captured day, with the organization's share of the month's total of each.
{{ downloads_by('organization', 'monthly') }}
