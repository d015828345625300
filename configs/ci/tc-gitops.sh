#!/bin/sh
# tc-gitops.sh DIR — keep tcd in step with the resource files in DIR
# (docs/config-as-code.md).
#
#   TC_GITOPS_MODE=diff   (pull requests) show what would change; fail (exit 1)
#                         when tcd differs from the files, 2+ on errors.
#   TC_GITOPS_MODE=apply  (main branch) apply the files, pruning what they
#                         no longer name; TC_GITOPS_NOTE (e.g. the commit) is
#                         the note of every version created.
#
# TCCTL_URL and TCCTL_TOKEN (a token of preset "ci") come from the CI's
# secrets. TC_GITOPS_SELECTOR=LABEL limits pruning to resources carrying it.
set -eu

dir=${1:?usage: tc-gitops.sh DIR}
mode=${TC_GITOPS_MODE:-diff}
note=${TC_GITOPS_NOTE:-}
prune="--prune"
if [ -n "${TC_GITOPS_SELECTOR:-}" ]; then
	prune="--prune -l ${TC_GITOPS_SELECTOR}"
fi

case "$mode" in
diff)
	# 0: in step; 1: differs (the log shows the diff); 2+: error.
	# shellcheck disable=SC2086
	tcctl diff -f "$dir" -R $prune
	;;
apply)
	# Show the plan in the log, then apply it (all or nothing).
	# shellcheck disable=SC2086
	tcctl diff -f "$dir" -R $prune || [ $? -eq 1 ]
	# shellcheck disable=SC2086
	tcctl apply -f "$dir" -R $prune --note "$note"
	;;
*)
	echo "tc-gitops.sh: TC_GITOPS_MODE must be diff or apply, not $mode" >&2
	exit 2
	;;
esac
