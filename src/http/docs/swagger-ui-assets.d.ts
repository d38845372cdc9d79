// swagger-ui-dist's files are imported as text (`with { type: "text" }`), which embeds them in
// the compiled binary; these declarations give those imports their type.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const text: string;
  export default text;
}
declare module "swagger-ui-dist/swagger-ui.css" {
  const text: string;
  export default text;
}
