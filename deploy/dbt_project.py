"""atom's dbt project at module level, for dagster-dbt's deploy command:

    dagster-dbt project prepare-and-package --file deploy/dbt_project.py

finds this ``DbtProject`` and prepares it (``dbt deps`` if the project has packages, then
``dbt parse``): the manifest is baked into the image at ``dbt_project/target/manifest.json``. atom
builds its ``DbtProject`` inside functions (``atom_dagster.assets.dbt_models.project_handle``),
which the command does not look into; this names the same one. It has no ``packaged_project_dir``:
the image runs from its copy of the repository, where the settings find ``dbt_project/``.
"""

from atom_dagster.assets.dbt_models import project_handle

atom_dbt_project = project_handle()
