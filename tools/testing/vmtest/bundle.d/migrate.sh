# SPDX-License-Identifier: GPL-2.0-only
# Bundle extra "migrate" (live_migration_test and its variants): the nested guest's scenario,
# /scenario/migrate.sh (bundle.d/migrate-guest: writers that fill a pattern over a few MiB,
# count and print progress, and verify it all when told "verify" on the console). The host
# side needs nothing beyond the default bundle: QMP goes through pipe chardevs, the migration
# stream through the host's loopback or a file.
guest_file "$HERE/bundle.d/migrate-guest" /scenario/migrate.sh 0755
