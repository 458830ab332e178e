// The book's GraphQL flow through Apollo Client 4, as a front end runs it: create an item
// (updateItem without id), read it (item), list items (items), delete it (deleteItem), read
// it again. Apollo Client adds __typename to every selection set of these documents.
//
//   GRAPHQL_URL=http://127.0.0.1:8000/graphql GRAPHQL_TOKEN=<access JWT> \
//   GRAPHQL_HEADERS='{"X-Forwarded-Proto": "https"}' node tests/js/apollo_book_flow.mjs
//
// Prints one JSON line ({"sent": [documents as sent], "created": ..., ...}) and exits 0, or
// prints {"error": ...} and exits 1. Driven by tests/security/test_graphql_attacks.py.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";

const CREATE_ITEM = gql`
  mutation CreateItem($name: String, $body: String) {
    updateItem(name: $name, body: $body) { id name body createdAt updatedAt }
  }
`;
const ITEM = gql`
  query Item($id: String!) { item(id: $id) { id name body data } }
`;
const ITEMS = gql`
  query Items($first: Int) {
    items(first: $first) {
      edges { cursor node { id name } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const DELETE_ITEM = gql`
  mutation DeleteItem($id: String!) { deleteItem(id: $id) { id name } }
`;

const sent = [];
// What went over the wire, so the test can check that __typename was in it.
async function recordingFetch(url, init) {
  sent.push(JSON.parse(init.body).query);
  return fetch(url, init);
}

const client = new ApolloClient({
  link: new HttpLink({
    uri: process.env.GRAPHQL_URL,
    fetch: recordingFetch,
    headers: {
      Authorization: `Bearer ${process.env.GRAPHQL_TOKEN}`,
      ...JSON.parse(process.env.GRAPHQL_HEADERS || "{}"),
    },
  }),
  cache: new InMemoryCache(),
});

async function bookFlow() {
  const created = (await client.mutate({
    mutation: CREATE_ITEM, variables: { name: "Hat", body: "Red" },
  })).data.updateItem;
  const fetched = (await client.query({
    query: ITEM, variables: { id: created.id }, fetchPolicy: "network-only",
  })).data.item;
  const listed = (await client.query({
    query: ITEMS, variables: { first: 10 }, fetchPolicy: "network-only",
  })).data.items;
  const deleted = (await client.mutate({
    mutation: DELETE_ITEM, variables: { id: created.id },
  })).data.deleteItem;
  const afterDelete = (await client.query({
    query: ITEM, variables: { id: created.id }, fetchPolicy: "network-only",
  })).data.item;
  return { created, fetched, listed, deleted, afterDelete };
}

try {
  const results = await bookFlow();
  process.stdout.write(JSON.stringify({ sent, ...results }) + "\n");
} catch (error) {
  // CombinedGraphQLErrors carries `errors`, ServerError `statusCode` and `bodyText`.
  process.stdout.write(JSON.stringify({
    sent,
    error: {
      name: error.name,
      message: error.message,
      errors: error.errors,
      statusCode: error.statusCode,
      bodyText: error.bodyText,
    },
  }) + "\n");
  process.exitCode = 1;
}
