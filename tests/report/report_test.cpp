// The SVG writer and report.html: ticks, escaping, charts that hold their data, and the
// sections each task's report has. (The browser test in tests/python renders real reports.)
#include "redes/report.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "redes/graph.hpp"
#include "report/svg.hpp"
#include "support/markup.hpp"

using namespace redes;

namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

bool balanced(const std::string& s) { return redes::test::unbalanced_tags(s).empty(); }

LayerSpec spec(std::string kind, nlohmann::json attrs = nlohmann::json::object()) {
  LayerSpec s;
  s.kind = std::move(kind);
  s.attrs = std::move(attrs);
  return s;
}

}  // namespace

TEST(Svg, NiceTicks) {
  const auto unit = svg::nice_ticks(0, 1, 5);
  ASSERT_EQ(unit.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(unit[i], 0.2 * i, 1e-12);
  // A span of 31.6 over about 5 ticks: a step of 10 (1, 2 or 5 times a power of ten).
  EXPECT_EQ(svg::nice_ticks(380.3, 411.9, 5), (std::vector<double>{390, 400, 410}));
  EXPECT_EQ(svg::nice_ticks(-3, 3, 6), (std::vector<double>{-3, -2, -1, 0, 1, 2, 3}));
  EXPECT_EQ(svg::tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(svg::tick_label(400, 10), "400");
}

TEST(Svg, EscapesText) {
  EXPECT_EQ(svg::escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
}

TEST(Svg, LineChartDrawsEachLineAndItsLegend) {
  svg::Line a("train <loss>"), b("validation", "", true);
  a.x = b.x = {1, 2, 3, 4};
  a.y = {4, 3, 2, 1};
  b.y = {4, NAN, 3, 3};  // a gap: two pieces
  const std::string s = svg::line_chart(svg::LineChart("Loss", "epoch", "loss", {a, b}));
  EXPECT_TRUE(balanced(s)) << s;
  // Two data lines (grid, ticks and the legend's samples are paths too).
  EXPECT_EQ(count(s, "stroke-width=\"1.8\""), 2);
  const std::regex gap("<path d=\"M[^\"]* M[^\"]*\" fill=\"none\"[^>]*stroke-width=\"1.8\"");
  EXPECT_TRUE(std::regex_search(s, gap)) << "the second line's second piece starts anew";
  EXPECT_EQ(count(s, "<path"), 2 + 2 + 2);
  EXPECT_NE(s.find("train &lt;loss&gt;"), std::string::npos);
  EXPECT_NE(s.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(s.find(">epoch<"), std::string::npos);
}

TEST(Svg, HeatMapHasACellPerCount) {
  svg::HeatMap m("Confusion", "true", "predicted");
  m.rows = m.columns = {"cat", "dog", "emu"};
  m.values = {{5, 1, 0}, {2, 7, 0}, {0, 0, 9}};
  const std::string s = svg::heat_map(m);
  EXPECT_TRUE(balanced(s));
  EXPECT_EQ(count(s, "<rect"), 9);
  EXPECT_NE(s.find(">7<"), std::string::npos);
}

TEST(LayerCost, MultiplyAddsPerSample) {
  // LeNet-5's first convolution: 6 filters of 5x5 over 28x28 with padding 2, and a linear layer
  // over a (3, 4) input (a row of 4 at each of 3 positions), an LSTM(32) over 24 steps of 1.
  Graph conv({spec("conv2d", {{"filters", 6}, {"kernel", 5}, {"padding", 2}})}, Shape{1, 28, 28});
  EXPECT_EQ(conv.layer_rows()[0].multiply_adds, 6 * 28 * 28 * 25);
  EXPECT_EQ(conv.layer_rows()[0].params, 6 * 25 + 6);
  Graph lin({spec("linear", {{"units", 5}})}, Shape{3, 4});
  EXPECT_EQ(lin.layer_rows()[0].multiply_adds, 3 * 4 * 5);
  Graph lstm({spec("lstm", {{"units", 32}})}, Shape{24, 1});
  EXPECT_EQ(lstm.layer_rows()[0].multiply_adds, 24 * 4 * 32 * (1 + 32));
  Graph relu({spec("relu")}, Shape{7});
  EXPECT_EQ(relu.layer_rows()[0].multiply_adds, 0);
  EXPECT_EQ(relu.layer_rows()[0].inputs, (std::vector<std::string>{"input"}));
}

TEST(RunReport, BinaryReportHasCurvesConfusionAndRoc) {
  RunReport r;
  r.summary = {
      {"name", "cars & co"},
      {"task", "binary"},
      {"kind", "table"},
      {"epochs", 3},
      {"test",
       {{"accuracy", 0.75}, {"loss", 0.5}, {"roc_auc", 0.8}, {"confusion", {{2, 1}, {0, 1}}}}}};
  for (int e = 1; e <= 3; ++e) {
    EpochLog l;
    l.epoch = e;
    l.train.loss = 1.0 / e;
    l.train.values["accuracy"] = 0.6 + 0.1 * e;
    Metrics v;
    v.loss = 1.2 / e;
    v.values["accuracy"] = 0.5 + 0.1 * e;
    l.val = v;
    r.logs.push_back(l);
  }
  Graph g({spec("linear", {{"units", 1}})}, Shape{2});
  r.layers = g.layer_rows();
  r.config_text = "task = \"binary\" # <not a tag>";
  r.predictions = Tensor(Shape{4, 1}, std::vector<float>{0.9f, 0.2f, 0.6f, 0.4f});
  r.truth = Tensor(Shape{4, 1}, std::vector<float>{1, 0, 0, 0});
  r.classes = {"no", "yes"};
  const std::string html = run_report_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(balanced(html));
  for (const char* part : {"Loss per epoch", "Scores per epoch", "training accuracy",
                           "validation accuracy", "Confusion matrix", "ROC curve (test) (AUC 0.8)",
                           "cars &amp; co", "&lt;not a tag&gt;", ">yes<", "multiply-adds"})
    EXPECT_NE(html.find(part), std::string::npos) << part;
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg\"") == std::string::npos, false);
  EXPECT_EQ(std::regex_search(html, std::regex("(src|href)=\"https?:")), false);
  EXPECT_GE(count(html, "<svg"), 4);  // loss, scores, confusion, ROC
}

TEST(RunReport, ImagesShowTheMisclassifiedOnes) {
  RunReport r;
  r.summary = {{"name", "imgs"},
               {"task", "multiclass"},
               {"kind", "images"},
               {"test", {{"confusion", {{1, 1}, {0, 1}}}}}};
  r.pixels = BasicTensor<uint8_t>(Shape{3, 1, 4, 4}, uint8_t{128});
  r.predictions = Tensor(Shape{3, 2}, std::vector<float>{0.9f, 0.1f, 0.3f, 0.7f, 0.2f, 0.8f});
  r.truth = Tensor(Shape{3}, std::vector<float>{0, 0, 1});  // the second is wrong
  r.classes = {"T-shirt", "Trouser"};
  const std::string html = run_report_html(r);
  EXPECT_TRUE(balanced(html));
  EXPECT_NE(html.find("1 of 3 test images are misclassified"), std::string::npos);
  EXPECT_EQ(count(html, "data:image/png;base64,"), 1);
  EXPECT_NE(html.find("T-shirt \xe2\x86\x92 Trouser (70%)"), std::string::npos) << html;
}

TEST(RunReport, BaselinesStandBesideTheNetwork) {
  RunReport r;
  r.summary = {{"name", "cars"},
               {"task", "binary"},
               {"kind", "table"},
               {"test", {{"accuracy", 0.9}, {"loss", 0.25}, {"confusion", {{9, 1}, {1, 9}}}}},
               {"baselines",
                {{"majority", {{"accuracy", 0.5}, {"loss", 0.693}}},
                 {"logistic_regression", {{"accuracy", 0.875}, {"loss", 0.3}, {"epochs", 40}}},
                 {"stump", {{"error", "training diverged at epoch 2 <sic>"}}}}}};
  const std::string html = run_report_html(r);
  EXPECT_TRUE(balanced(html));
  // A line each in the table, under the figures they share with the network (not "epochs").
  const std::string table = html.substr(html.find("The network beside its baselines"));
  for (const char* part : {"<th>model</th><th>accuracy</th><th>loss</th>", ">the network<", ">0.9<",
                           ">majority<", ">0.5<", ">logistic regression<", ">0.875<", ">stump<",
                           "stump: training diverged at epoch 2 &lt;sic&gt;"})
    EXPECT_NE(table.find(part), std::string::npos) << part;
  EXPECT_EQ(table.find(">epochs<"), std::string::npos);
  // A bar each on the test accuracy: the network's and the two baselines that have one.
  const size_t chart =
      table.find("Test accuracy: the network and its baselines (higher is better)");
  ASSERT_NE(chart, std::string::npos);
  const std::string svg = table.substr(chart, table.find("</svg>", chart) - chart);
  EXPECT_EQ(count(svg, "<rect"), 3) << svg;
  EXPECT_EQ(count(svg, "fill=\"#999\""), 2) << svg;

  // A regression's bars are its RMSE, lower being better; a run without baselines has none.
  r.summary["task"] = "regression";
  r.summary["test"] = {{"rmse", 2.0}, {"mae", 1.5}, {"loss", 4.0}};
  r.summary["baselines"] = {{"mean", {{"rmse", 7.5}, {"mae", 6.0}, {"loss", 56.25}}}};
  EXPECT_NE(run_report_html(r).find("Test rmse: the network and its baselines (lower is better)"),
            std::string::npos);
  r.summary.erase("baselines");
  EXPECT_EQ(run_report_html(r).find("its baselines"), std::string::npos);
}
