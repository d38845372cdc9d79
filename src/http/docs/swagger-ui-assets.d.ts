// swagger-ui-dist's files are imported as files (`with { type: "file" }`), which embeds them in
// the compiled binary and gives their path there (or on disk, from source) for `Bun.file`;
// these declarations give those imports their type.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}
declare module "swagger-ui-dist/swagger-ui.css" {
  const path: string;
  export default path;
}
