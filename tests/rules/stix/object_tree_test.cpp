#include "rules/stix/object_tree.h"

#include <gtest/gtest.h>

#include <string>

#include "allocation_counter.h"

namespace outpost::rules::stix {
namespace {

TEST(ObjectTree, LinksChildrenInInsertionOrderAndFindsThemByKeyOrIndex) {
  ObjectTree t;
  const NodeId root = t.add_object(kNone, {});
  t.add_string(root, "type", "file");
  t.add_integer(root, "size", -7);
  const NodeId list = t.add_list(root, "names");
  t.add_string(list, "ignored", "a");
  t.add_float(list, {}, 2.5);
  t.add_bool(list, {}, true);
  t.add_null(list, {});
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t.node(root).child_count, 3u);
  EXPECT_EQ(t.node(t.child(root, "size")).integer, -7);
  EXPECT_EQ(t.child(root, "absent"), kNone);
  EXPECT_EQ(t.node(list).child_count, 4u);
  EXPECT_EQ(t.node(t.element(list, 0)).text, "a");
  EXPECT_TRUE(t.node(t.element(list, 0)).key.empty()) << "list elements have no key";
  EXPECT_EQ(t.node(t.element(list, 1)).floating, 2.5);
  EXPECT_TRUE(t.node(t.element(list, 2)).boolean);
  EXPECT_EQ(t.node(t.element(list, 3)).kind, ValueKind::null);
  EXPECT_EQ(t.element(list, 4), kNone);
  EXPECT_EQ(t.node(t.element(list, 3)).parent, list);
}

TEST(ObjectTree, RefusesToAddUnderANodeThatIsNotAContainer) {
  ObjectTree t;
  const NodeId s = t.add_string(kNone, {}, "x");
  EXPECT_EQ(t.add_integer(s, "k", 1), kNone);
  EXPECT_EQ(t.add_object(12345, "k"), kNone);
  EXPECT_EQ(t.size(), 1u);
}

TEST(ObjectTree, DecodesHexAndBase64PropertiesOnceAndFlagsThoseThatDoNotDecode) {
  ObjectTree t;
  const NodeId o = t.add_object(kNone, {});
  const NodeId hex = t.add_string(o, "payload_hex", "68656C6c6f");
  const NodeId b64 = t.add_string(o, "payload_bin", "aGVsbG8=");
  const NodeId bad = t.add_string(o, "odd_hex", "abc");
  const NodeId plain = t.add_string(o, "hex", "68");
  const NodeId in_list = t.add_string(t.add_list(o, "x_hex"), {}, "zz");
  EXPECT_EQ(t.node(hex).encoded, 1);
  EXPECT_EQ(t.node(hex).bytes, "hello");
  EXPECT_EQ(t.node(hex).text, "68656C6c6f") << "the text stays as given";
  EXPECT_EQ(t.node(b64).bytes, "hello");
  EXPECT_EQ(t.node(bad).encoded, 2);
  EXPECT_EQ(t.node(plain).encoded, 0);
  EXPECT_EQ(t.node(in_list).encoded, 0) << "list elements have no key, so no suffix";
  for (const char* text : {"aGVsbG8", "aGVsbG8==", "a===", "aGV=bG8=", "aGVs bG8="}) {
    ObjectTree u;
    EXPECT_EQ(u.node(u.add_string(u.add_object(kNone, {}), "p_bin", text)).encoded, 2) << text;
  }
}

TEST(ObjectTree, OwnCopiesTextIntoAnArenaThatOutlivesTheSource) {
  ObjectTree t;
  std::string_view kept;
  {
    std::string temporary(5000, 'q');
    kept = t.own(temporary);
    t.own("small");
  }
  EXPECT_EQ(kept, std::string(5000, 'q'));
}

TEST(ObjectTree, ReusedAfterClearDoesNotAllocateOnceWarm) {
  ObjectTree t;
  const std::string big(6000, 'z');
  auto fill = [&] {
    t.clear();
    const NodeId o = t.add_object(kNone, {});
    for (int i = 0; i < 40; ++i) t.add_string(o, "k", t.own("value"));
    t.add_string(o, "blob_hex", "00ff00ff");
    t.add_string(o, "big", t.own(big));
    t.add_string(o, "after", t.own("tail"));
  };
  fill();
  fill();
  const std::size_t before = test::allocation_count();
  fill();
  EXPECT_EQ(test::allocation_count(), before);
  EXPECT_EQ(t.node(t.child(0, "big")).text, big);
  EXPECT_EQ(t.node(t.child(0, "blob_hex")).bytes, std::string("\0\xff\0\xff", 4));
}

TEST(ObjectTree, ReadsJsonIntoNodesWithOwnedStrings) {
  ObjectTree t;
  std::string error;
  std::string json = R"({"type":"x","n":[1,-2,3.5,true,null,{"deep":"\u00e9"}],"big":18446744073709551615,"b_hex":"0a"})";
  const NodeId root = t.add_json(kNone, {}, json, &error);
  ASSERT_NE(root, kNone) << error;
  json.assign(json.size(), '#');  // the tree must not point into the source text
  EXPECT_EQ(t.node(t.child(root, "type")).text, "x");
  const NodeId n = t.child(root, "n");
  EXPECT_EQ(t.node(t.element(n, 1)).integer, -2);
  EXPECT_EQ(t.node(t.element(n, 2)).kind, ValueKind::floating);
  EXPECT_EQ(t.node(t.child(t.element(n, 5), "deep")).text, "\xc3\xa9");
  EXPECT_EQ(t.node(t.child(root, "big")).kind, ValueKind::floating) << "beyond int64";
  EXPECT_EQ(t.node(t.child(root, "b_hex")).bytes, "\n");
}

TEST(ObjectTree, RefusesJsonThatIsMalformedNotUtf8OrTooDeep) {
  ObjectTree t;
  std::string error;
  EXPECT_EQ(t.add_json(kNone, {}, "{\"a\":", &error), kNone);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(t.add_json(kNone, {}, "\"\xff\"", &error), kNone);
  EXPECT_EQ(t.add_json(kNone, {}, std::string(100, '[') + std::string(100, ']'), &error), kNone);
  EXPECT_NE(error.find("deeper"), std::string::npos) << error;
  EXPECT_EQ(t.add_json(kNone, {}, "[1] 2", &error), kNone);
}

}  // namespace
}  // namespace outpost::rules::stix
