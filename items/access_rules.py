"""What items asks of accounts (accounts.registry): its scopes and its per-user write budget."""

from accounts.registry import rate_budget_declare, scope_declare

ITEMS_READ = scope_declare("items:read", description="Read your items (REST and GraphQL)")
ITEMS_WRITE = scope_declare("items:write", description="Create, update and delete your items")

# POST /item, POST and DELETE /item/{id}, GraphQL updateItem and deleteItem: one budget.
ITEM_WRITES = rate_budget_declare("item-writes")
