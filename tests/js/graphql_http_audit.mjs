// The graphql-http server audits (GraphQL over HTTP spec) against GRAPHQL_URL; prints one JSON
// line: [{id, name, status: "ok" | "warn" | "error", reason}]. Driven by
// tests/graphql/test_graphql_over_http.py, which judges the results.
import { serverAudits } from 'graphql-http';

const url = process.env.GRAPHQL_URL;
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({
    id: audit.id,
    name: audit.name,
    status: result.status,
    reason: result.status === 'ok' ? undefined : result.reason,
  });
}
console.log(JSON.stringify(results));
