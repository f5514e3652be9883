#!/usr/bin/env bash
# The quickstart's requests, in order. Run it against `make run` with the token and
# organization it printed:  TOKEN=... ORG=1 bash docs/examples/quickstart.sh
# tests/docs/test_quickstart.py replays every curl below through the example app's test
# client (ids taken from the answers), so this file and the quickstart page stay true.
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:5000/api}
JSONAPI="application/vnd.api+json"

# [template]
curl -s -X POST "$BASE/broadcast-templates?o=$ORG" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: $JSONAPI" -H "Accept: $JSONAPI" \
  -d '{"data": {"type": "broadcast-templates", "attributes": {
        "name": "March Newsletter",
        "subject": "Hello {first_name}!",
        "subject_i18n": {"fr": "Bonjour {first_name} !"},
        "body": "<p>Hi {first_name}, here is your monthly update.</p>",
        "body_i18n": {"fr": "<p>Bonjour {first_name}, voici les nouvelles du mois.</p>"},
        "action_label": "View details",
        "action_url": "https://example.com/updates",
        "channels": ["mail"]}}}'
TEMPLATE=1   # the "id" of the answer
# [/template]

# [audience]
curl -s -X POST "$BASE/broadcast-audiences?o=$ORG" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: $JSONAPI" -H "Accept: $JSONAPI" \
  -d '{"data": {"type": "broadcast-audiences", "attributes": {
        "name": "Active customers",
        "audience_type": "customers",
        "filters": {"status": "active"}}}}'
AUDIENCE=1
# [/audience]

# [campaign]
curl -s -X POST "$BASE/broadcast-campaigns?o=$ORG" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: $JSONAPI" -H "Accept: $JSONAPI" \
  -d '{"data": {"type": "broadcast-campaigns",
        "attributes": {"name": "March 2026 Newsletter"},
        "relationships": {
          "template": {"data": {"type": "broadcast-templates", "id": "'$TEMPLATE'"}},
          "audience": {"data": {"type": "broadcast-audiences", "id": "'$AUDIENCE'"}}}}}'
CAMPAIGN=1
# [/campaign]

# [preview]
curl -s "$BASE/broadcast-campaigns/$CAMPAIGN/draft-messages?o=$ORG&with_counts=true" \
  -H "Authorization: Bearer $TOKEN" -H "Accept: $JSONAPI"
# [/preview]

# [start]
curl -s "$BASE/broadcast-campaigns/$CAMPAIGN/start?o=$ORG" \
  -H "Authorization: Bearer $TOKEN" -H "Accept: $JSONAPI"
# [/start]

# [worker]
sleep "${WAIT:-3}"   # make run's worker sends meanwhile
# [/worker]

# [progress]
curl -s "$BASE/broadcast-campaigns/$CAMPAIGN?o=$ORG" \
  -H "Authorization: Bearer $TOKEN" -H "Accept: $JSONAPI"
# [/progress]

# [messages]
curl -s "$BASE/broadcast-campaigns/$CAMPAIGN/messages?o=$ORG&include=customer&page%5Bsize%5D=2" \
  -H "Authorization: Bearer $TOKEN" -H "Accept: $JSONAPI"
# [/messages]

# [failed]
curl -s "$BASE/broadcast-campaigns/$CAMPAIGN/messages?o=$ORG&filter%5Bstatus%5D=failed" \
  -H "Authorization: Bearer $TOKEN" -H "Accept: $JSONAPI"
# [/failed]
