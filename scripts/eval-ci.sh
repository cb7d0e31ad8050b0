#!/usr/bin/env bash
# The answer-quality ratchet CI runs: each dataset of tests/eval/floors.json is evaluated
# (`npm run eval -- <folder> --ratchet`) and the run fails when a metric falls below its recorded
# floor. kettle-and-crane is checked by the jest suite (tests/eval), so it is not run twice.
# External corpora are installed first (scripts/eval-corpus.sh). Needs the services running.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

status=0
for name in $(node -e 'console.log(Object.keys(require("./tests/eval/floors.json")).join(" "))'); do
  [ "$name" = kettle-and-crane ] && continue
  folder="tests/fixtures/eval/$name"
  if grep -q '"corpus": *"\${PARLEY_CACHE}/eval-corpora/' "$folder/questions.json"; then
    bash scripts/eval-corpus.sh "$name"
  fi
  log "eval $name"
  npx tsx scripts/eval.ts "$folder" --quiet --ratchet || status=1
done
exit $status
