// Express 4 is installed under the alias "express4" for the tests; its API is the one @types/express describes.
declare module "express4" {
  import express from "express";
  export default express;
}
