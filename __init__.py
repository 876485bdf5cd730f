from . import models, wizards


def post_init_hook(env):
    """Installed on a live database: activities done before count as evidence."""
    env["kam.done.activity"]._kam_backfill()
    env["kam.stage.history"]._kam_backfill()
