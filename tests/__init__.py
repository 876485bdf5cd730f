from . import test_groups, test_i18n
