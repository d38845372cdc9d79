/**
 * What the database tells a release before rotation chains shared one spend when it rotates a key
 * (keys migration 5 on SQLite, 6 on PostgreSQL): such a release copies the old key's total to the
 * new key, which the chain would count as spent. No quote mark in it: it is spliced into SQL text.
 */
export const OLDER_ROTATION_REFUSED =
  "refused: this mindgw release copies the spend of the old key to the new key of a rotation, which the rotation chain would count twice; rotate keys with an upgraded mindgw";
