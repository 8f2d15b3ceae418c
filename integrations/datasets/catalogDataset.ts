/** A dataset as the catalog describes it, after the configured field mapping. */
export interface CatalogDataset {
  name: string;
  team: string | null;
  owner: string | null;
  description: string | null;
  /** When the data was last refreshed, as the catalog knows it. */
  lastUpdated: Date | null;
  /** How old the data may get before it is late, in milliseconds. */
  freshnessSlaMs: number | null;
  tags: string[];
  /** Further catalog fields the configuration names (label → value), shown in details. */
  extra: Record<string, string>;
}
