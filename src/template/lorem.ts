/**
 * `{% lorem %}`: Django's lorem ipsum text. With `common` (no `random` word) the first words
 * and the first paragraph are the fixed classic text, as in Django; the rest is drawn at random
 * from the same word list with Django's sentence and paragraph shapes, with Python's sampling
 * algorithm over the source of random.ts.
 * @module
 */
import { randomBelow, randomInt, randomSample } from "./random.js";

const COMMON_P =
  "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";

const WORDS: readonly string[] = [
  "exercitationem",
  "perferendis",
  "perspiciatis",
  "laborum",
  "eveniet",
  "sunt",
  "iure",
  "nam",
  "nobis",
  "eum",
  "cum",
  "officiis",
  "excepturi",
  "odio",
  "consectetur",
  "quasi",
  "aut",
  "quisquam",
  "vel",
  "eligendi",
  "itaque",
  "non",
  "odit",
  "tempore",
  "quaerat",
  "dignissimos",
  "facilis",
  "neque",
  "nihil",
  "expedita",
  "vitae",
  "vero",
  "ipsum",
  "nisi",
  "animi",
  "cumque",
  "pariatur",
  "velit",
  "modi",
  "natus",
  "iusto",
  "eaque",
  "sequi",
  "illo",
  "sed",
  "ex",
  "et",
  "voluptatibus",
  "tempora",
  "veritatis",
  "ratione",
  "assumenda",
  "incidunt",
  "nostrum",
  "placeat",
  "aliquid",
  "fuga",
  "provident",
  "praesentium",
  "rem",
  "necessitatibus",
  "suscipit",
  "adipisci",
  "quidem",
  "possimus",
  "voluptas",
  "debitis",
  "sint",
  "accusantium",
  "unde",
  "sapiente",
  "voluptate",
  "qui",
  "aspernatur",
  "laudantium",
  "soluta",
  "amet",
  "quo",
  "aliquam",
  "saepe",
  "culpa",
  "libero",
  "ipsa",
  "dicta",
  "reiciendis",
  "nesciunt",
  "doloribus",
  "autem",
  "impedit",
  "minima",
  "maiores",
  "repudiandae",
  "ipsam",
  "obcaecati",
  "ullam",
  "enim",
  "totam",
  "delectus",
  "ducimus",
  "quis",
  "voluptates",
  "dolores",
  "molestiae",
  "harum",
  "dolorem",
  "quia",
  "voluptatem",
  "molestias",
  "magni",
  "distinctio",
  "omnis",
  "illum",
  "dolorum",
  "voluptatum",
  "ea",
  "quas",
  "quam",
  "corporis",
  "quae",
  "blanditiis",
  "atque",
  "deserunt",
  "laboriosam",
  "earum",
  "consequuntur",
  "hic",
  "cupiditate",
  "quibusdam",
  "accusamus",
  "ut",
  "rerum",
  "error",
  "minus",
  "eius",
  "ab",
  "ad",
  "nemo",
  "fugit",
  "officia",
  "at",
  "in",
  "id",
  "quos",
  "reprehenderit",
  "numquam",
  "iste",
  "fugiat",
  "sit",
  "inventore",
  "beatae",
  "repellendus",
  "magnam",
  "recusandae",
  "quod",
  "explicabo",
  "doloremque",
  "aperiam",
  "consequatur",
  "asperiores",
  "commodi",
  "optio",
  "dolor",
  "labore",
  "temporibus",
  "repellat",
  "veniam",
  "architecto",
  "est",
  "esse",
  "mollitia",
  "nulla",
  "a",
  "similique",
  "eos",
  "alias",
  "dolore",
  "tenetur",
  "deleniti",
  "porro",
  "facere",
  "maxime",
  "corrupti",
];

const COMMON_WORDS: readonly string[] = [
  "lorem",
  "ipsum",
  "dolor",
  "sit",
  "amet",
  "consectetur",
  "adipisicing",
  "elit",
  "sed",
  "do",
  "eiusmod",
  "tempor",
  "incididunt",
  "ut",
  "labore",
  "et",
  "dolore",
  "magna",
  "aliqua",
];

function sentence(): string {
  const sections: string[] = [];
  for (let i = randomInt(1, 5); i > 0; i--)
    sections.push(randomSample(WORDS, randomInt(3, 12)).join(" "));
  const s = sections.join(", ");
  return s.charAt(0).toUpperCase() + s.slice(1) + ("?."[randomBelow(2)] as string);
}

function paragraph(): string {
  const out: string[] = [];
  for (let i = randomInt(1, 4); i > 0; i--) out.push(sentence());
  return out.join(" ");
}

function words(count: number, common: boolean): string {
  const list = common ? COMMON_WORDS.slice(0, Math.max(0, count)) : [];
  let c = count - list.length;
  while (c > 0) {
    const n = Math.min(c, WORDS.length);
    c -= n;
    list.push(...randomSample(WORDS, n));
  }
  return list.join(" ");
}

function paragraphs(count: number, common: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(common && i === 0 ? COMMON_P : paragraph());
  return out;
}

/** The text of `{% lorem count method %}` (`w` words, `p` HTML paragraphs, `b` plain ones). */
export function lorem(count: number, method: "w" | "p" | "b", common: boolean): string {
  if (method === "w") return words(count, common);
  const ps = paragraphs(count, common);
  return method === "p" ? ps.map((p) => `<p>${p}</p>`).join("\n\n") : ps.join("\n\n");
}
