-- Per captured day and publishing organization (all its namespaces together): the day's downloads
-- and the cumulative and trailing-30-day downloads of mainline models (each model carried forward
-- over days it is missing), with the organization's share of the day's total of each.
{{ downloads_by('organization', 'daily') }}
