//! Parquet tables, plots (SVG and PNG, drawn with plotters) and static
//! report.html pages: for a scenario ensemble ([`render`]) and for one run
//! ([`run_report_files`], [`run_files_with_report`]).
//!
//! Conventions shared by every table careersim writes here: a `date` is the
//! last day of its month (ISO `2025-03-31` in CSV, `date32` in Parquet) —
//! the date of a month-end stock and the end of a flow's period; a series
//! name (`rate.leaver.gp@london`) sits beside its `measure`, `scope` and
//! `region` (split by the series parser); CSV values are rounded to what
//! they mean (counts and FTE to whole numbers, shares, rates and months to 4
//! significant digits), Parquet keeps full precision.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use arrow_array::{ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use careersim::calendar::YearMonth;
use careersim::clinician::State;
use careersim::ensemble::{CostEffect, EnsembleSpec, Reported, Row, RunValues, report_months};
use careersim::rules::{GradeKind, Rules};
use careersim::scenario::Scenario;
use careersim::schedule::History;
use careersim::series::{Grain, Measure, SeriesId, split_name};

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const SIZE: (u32, u32) = (960, 540);
/// Width of the plot beside a legend column.
const PLOT_W: u32 = 720;

fn opt(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("{e}")
}

// ---------------------------------------------------------------- values

/// What a series' values are: counts or FTE (extensive), shares and rates
/// (fractions), or months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Headcount, FTE, flows: whole numbers.
    Count,
    /// Fractions: shown as percentages (differences in percentage points).
    Share,
    /// Durations in months.
    Months,
}

/// The unit of a series name (a name the parser does not know is a share).
pub fn unit_of_name(rules: &Rules, name: &str) -> Unit {
    match SeriesId::parse(rules, name) {
        Ok(id) if matches!(id.measure, Measure::TimeToCct(_)) => Unit::Months,
        Ok(id) if id.is_extensive() => Unit::Count,
        _ => Unit::Share,
    }
}

/// `x` with thousands separators and `decimals` decimals: `-38,137`.
pub fn thousands(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{:.decimals$}", x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    let zero = s.chars().all(|c| c == '0' || c == '.');
    if x < 0.0 && !zero { format!("-{out}") } else { out }
}

/// Pounds with thousands separators and the sign before the £: `−£1,250`.
fn pounds(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let t = thousands(x.abs(), 0);
    if x < 0.0 && t.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("−£{t}")
    } else {
        format!("£{t}")
    }
}

/// A value for CSV: counts to whole numbers, the rest to 4 significant
/// digits; empty when undefined.
pub fn csv_value(unit: Unit, x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    match unit {
        Unit::Count => {
            let s = format!("{x:.0}");
            if s == "-0" { "0".into() } else { s }
        }
        _ => careersim::series::significant(x, 4),
    }
}

/// A value for a table cell: counts as whole numbers with separators,
/// shares as percentages (differences in percentage points), months to one
/// decimal; differences signed.
fn show(unit: Unit, x: f64, diff: bool) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    // No "-0.0": a value that rounds to zero is shown unsigned.
    let sign = |s: String| {
        let nonzero = s.chars().any(|c| c.is_ascii_digit() && c != '0');
        match s.strip_prefix('-') {
            Some(abs) if !nonzero => abs.to_string(),
            _ if diff && x > 0.0 && nonzero => format!("+{s}"),
            _ => s,
        }
    };
    match unit {
        Unit::Count => sign(thousands(x, 0)),
        Unit::Share if diff => sign(format!("{:.2}", x * 100.0)) + " pp",
        Unit::Share => sign(format!("{:.1}", x * 100.0)) + "%",
        Unit::Months => sign(format!("{x:.1}")),
    }
}

/// The unit of a series' values in words, for axis captions; `diff`: of
/// a difference (shares and rates in percentage points).
fn unit_word(name: &str, diff: bool) -> &'static str {
    let measure = split_name(name).map_or("", |p| p.0);
    match measure {
        "headcount" => "headcount",
        "fte" | "vacancies" | "establishment" => "FTE",
        "count.leavers" | "count.joiners" | "count.intl_joiners" | "count.pause_returns" => "people a year",
        "count.ccts" => "CCTs a year",
        "count.acceptances" | "count.unfilled_posts" => "posts a year",
        "count.starts" => "starts a year",
        "count.retirements" | "count.retire_and_return" => "people a year",
        "fte_years" => "FTE-years",
        m if m.starts_with("cost.") => "GBP a year",
        "time_to_cct" => "months",
        _ if diff => "percentage points",
        _ => "%",
    }
}

/// A readable label for a series name: `rate.leaver.nurse` → "nurse leaver
/// rate (a year)".
pub fn label(name: &str) -> String {
    let Some((measure, scope, region)) = split_name(name) else {
        return name.to_string();
    };
    let who = match scope {
        "all" => "all staff".to_string(),
        "in_training" => "trainees".to_string(),
        // Scopes as the series names spell them (`pa_aa`, `gp_training`).
        s => s.to_string(),
    };
    let l = match measure {
        "headcount" => format!("{who}: headcount in NHS employment"),
        "fte" => format!("{who}: FTE in post"),
        "share.ltft" => format!(
            "LTFT share of {}",
            if scope == "in_training" {
                who
            } else {
                format!("{who} trainees")
            }
        ),
        "share.pause" => format!(
            "share on pause of {}",
            if scope == "in_training" {
                who
            } else {
                format!("{who} trainees")
            }
        ),
        "rate.leaver" => format!("{who}: leaver rate (a year)"),
        "count.leavers" => format!("{who}: leavers (a year)"),
        "count.joiners" => format!("{who}: joiners (a year)"),
        "count.intl_joiners" => format!("{who}: international joiners (a year)"),
        "count.starts" => format!("starts of {who} (a year)"),
        "count.acceptances" => format!("posts filled, {who} (a year)"),
        "rate.fill" => format!("fill rate of posts, {who} (a year)"),
        "share.noncompletion" => format!("non-completion share, {who}"),
        "count.ccts" => "CCTs awarded (a year)".to_string(),
        "count.pause_returns" => "returns from pause (a year)".to_string(),
        "count.unfilled_posts" if scope == "all" => "unfilled training posts (a year)".to_string(),
        "count.unfilled_posts" => format!("unfilled posts, {who} (a year)"),
        "time_to_cct" if scope == "all" => "mean time to CCT of the year's CCTs (months)".to_string(),
        "time_to_cct" => format!("mean time to CCT of the year's CCTs in {who} (months)"),
        "vacancies" => format!("{who}: vacancies (FTE short of the funded establishment)"),
        "rate.vacancy" => format!("{who}: vacancy rate"),
        "establishment" => format!("{who}: funded establishment (FTE)"),
        "cost.total" => format!("{who}: total spend (GBP a year)"),
        "cost.pay" => format!("{who}: pay and on-costs (GBP a year)"),
        "cost.training" => format!("{who}: education and training (GBP a year)"),
        "cost.recruitment" => format!("{who}: recruitment (GBP a year)"),
        "cost.programme" => format!("{who}: programmes (GBP a year)"),
        "cost.attrition" => format!("{who}: training spent on leavers before completion (GBP a year)"),
        "fte_years" => format!("{who}: FTE-years in post"),
        "count.retirements" => format!("{who}: retirements (a year)"),
        "count.retire_and_return" => format!("{who}: retire-and-return (a year)"),
        m => format!("{m} {who}"),
    };
    match region {
        Some(r) => format!("{l}, {}", r.replace('_', " ")),
        None => l,
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A month as a decimal year (the x axis of time charts).
fn year_of(d: YearMonth) -> f64 {
    d.year as f64 + (d.month as f64 - 1.0) / 12.0
}

// ---------------------------------------------------------------- Parquet

fn parquet_bytes(batch: RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None)?;
    w.write(&batch)?;
    w.close()?;
    Ok(out)
}

/// Measure, scope and region columns of series names.
fn split_columns(names: &[&str]) -> [ArrayRef; 3] {
    let parts: Vec<(&str, &str, Option<&str>)> = names.iter().map(|n| split_name(n).unwrap_or(("", n, None))).collect();
    [
        Arc::new(StringArray::from(parts.iter().map(|p| p.0).collect::<Vec<_>>())),
        Arc::new(StringArray::from(parts.iter().map(|p| p.1).collect::<Vec<_>>())),
        Arc::new(StringArray::from(parts.iter().map(|p| p.2).collect::<Vec<_>>())),
    ]
}

fn series_fields() -> Vec<Field> {
    vec![
        Field::new("series", DataType::Utf8, false),
        Field::new("measure", DataType::Utf8, false),
        Field::new("scope", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
    ]
}

fn rows_parquet(rows: &[Row]) -> Result<Vec<u8>> {
    let n = |f: &dyn Fn(&Row) -> f64| {
        Arc::new(Float64Array::from(rows.iter().map(|r| opt(f(r))).collect::<Vec<_>>())) as ArrayRef
    };
    let names: Vec<&str> = rows.iter().map(|r| r.series.as_str()).collect();
    let mut fields = vec![Field::new("scenario", DataType::Utf8, false)];
    fields.extend(series_fields());
    fields.extend([
        Field::new("date", DataType::Date32, false),
        Field::new("mean", DataType::Float64, true),
        Field::new("q05", DataType::Float64, true),
        Field::new("q50", DataType::Float64, true),
        Field::new("q95", DataType::Float64, true),
        Field::new("sd_monte_carlo", DataType::Float64, true),
        Field::new("sd_parameter", DataType::Float64, true),
    ]);
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.scenario.as_str()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(names.clone())),
    ];
    cols.extend(split_columns(&names));
    cols.extend([
        Arc::new(Date32Array::from(
            rows.iter().map(|r| r.date.month_end_epoch_days()).collect::<Vec<_>>(),
        )) as ArrayRef,
        n(&|r| r.stats.mean),
        n(&|r| r.stats.q05),
        n(&|r| r.stats.q50),
        n(&|r| r.stats.q95),
        n(&|r| r.sd_monte_carlo),
        n(&|r| r.sd_parameter),
    ]);
    parquet_bytes(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

fn runs_parquet(spec: &EnsembleSpec, rules: &Rules, runs: &[RunValues], series: &[Reported]) -> Result<Vec<u8>> {
    let months = report_months(spec.months);
    let (mut sc, mut dr, mut pa, mut re, mut se, mut name, mut date, mut val) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in runs {
        for (k, rep) in series.iter().enumerate() {
            for (mi, &m) in months.iter().enumerate() {
                sc.push(spec.scenarios[r.scenario].name.as_str());
                dr.push(r.draw as u32);
                pa.push(r.particle.map(|p| p as u32));
                re.push(r.replicate as u32);
                se.push(r.seed);
                name.push(rep.id.name.as_str());
                date.push(rules.start.plus(m).month_end_epoch_days());
                val.push(opt(r.values[k * months.len() + mi]));
            }
        }
    }
    let mut fields = vec![
        Field::new("scenario", DataType::Utf8, false),
        Field::new("draw", DataType::UInt32, false),
        Field::new("particle", DataType::UInt32, true),
        Field::new("replicate", DataType::UInt32, false),
        Field::new("seed", DataType::UInt64, false),
    ];
    fields.extend(series_fields());
    fields.extend([
        Field::new("date", DataType::Date32, false),
        Field::new("value", DataType::Float64, true),
    ]);
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(sc)),
        Arc::new(UInt32Array::from(dr)),
        Arc::new(UInt32Array::from(pa)),
        Arc::new(UInt32Array::from(re)),
        Arc::new(UInt64Array::from(se)),
        Arc::new(StringArray::from(name.clone())),
    ];
    cols.extend(split_columns(&name));
    cols.push(Arc::new(Date32Array::from(date)));
    cols.push(Arc::new(Float64Array::from(val)));
    parquet_bytes(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

// ---------------------------------------------------------------- charts

/// Renders one chart as SVG and PNG. The chart is drawn by `svg_draw` on
/// the SVG backend and by `png_draw` on the bitmap backend (plotters
/// backends differ in type, so the caller passes the same drawing code
/// twice).
fn both(
    name: &str,
    svg_draw: &dyn Fn(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
    png_draw: &dyn Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        svg_draw(&root)?;
        root.present().map_err(|e| anyhow!("{name}.svg: {e}"))?;
    }
    let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        png_draw(&root)?;
        root.present().map_err(|e| anyhow!("{name}.png: {e}"))?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new_with_quality(
            &mut png,
            // zlib's default level: Best took ~4% of a whole England run
            // for files a few per cent smaller.
            image::codecs::png::CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        ),
        &rgb,
        SIZE.0,
        SIZE.1,
        image::ColorType::Rgb8,
    )?;
    Ok(vec![
        (format!("plots/{name}.svg"), svg.into_bytes()),
        (format!("plots/{name}.png"), png),
    ])
}

/// Distinct colours that read on white (Tableau 10 without its yellow).
const PALETTE: [RGBColor; 9] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(89, 161, 79),
    RGBColor(176, 122, 161),
    RGBColor(118, 183, 178),
    RGBColor(156, 117, 95),
    RGBColor(255, 157, 167),
    RGBColor(110, 110, 110),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Fills the background, writes the title at the top left (never off the
/// canvas, however long) and returns the area below it.
fn titled<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    root.draw(&Text::new(title.to_string(), (14, 10), ("sans-serif", 20)))
        .map_err(err)?;
    Ok(root.margin(40, 0, 0, 0))
}

/// Axis tick label of a value in a unit.
fn tick(unit: Unit, span: f64, y: f64) -> String {
    match unit {
        Unit::Count if span < 20.0 => thousands(y, 1),
        Unit::Count => thousands(y, 0),
        Unit::Share | Unit::Months if span < 2.0 => format!("{y:.2}"),
        Unit::Share | Unit::Months => format!("{y:.1}"),
    }
}

/// One line of a time chart: (decimal year, 5%, mean, 95%) points; the band
/// is drawn where 5% and 95% are finite.
struct Line {
    name: String,
    color: usize,
    pts: Vec<(f64, f64, f64, f64)>,
}

/// A time chart: one line (with its 5-95% band, if any) per entry, a legend
/// beside the plot, vertical marks (`(decimal year, text)`, e.g. a lever's
/// start) and, for differences, the zero line. Shares are drawn as
/// percentages.
fn time_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    (unit, diff, word): (Unit, bool, &str),
    lines: &[Line],
    marks: &[(f64, String)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let area = titled(root, title)?;
    let k = if unit == Unit::Share { 100.0 } else { 1.0 };
    let finite = |v: f64| v.is_finite();
    let xs: Vec<f64> = lines
        .iter()
        .flat_map(|l| &l.pts)
        .filter(|p| finite(p.2))
        .map(|p| p.0)
        .collect();
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| &l.pts)
        .flat_map(|p| [p.1, p.2, p.3])
        .filter(|v| finite(*v))
        .map(|v| v * k)
        .chain(diff.then_some(0.0))
        .collect();
    if xs.is_empty() || ys.is_empty() {
        return Ok(());
    }
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (mut lo, hi) = (
        ys.iter().copied().fold(f64::INFINITY, f64::min),
        ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    // Levels of counts from zero unless the range is narrow.
    if !diff && lo > 0.0 && unit == Unit::Count && lo < 0.5 * hi {
        lo = 0.0;
    }
    let pad = ((hi - lo) * 0.06).max(if hi.abs() > 0.0 { hi.abs() * 0.01 } else { 1.0 });
    let (ylo, yhi) = (if lo == 0.0 && !diff { 0.0 } else { lo - pad }, hi + pad);
    let (plot, legend) = area.split_horizontally(PLOT_W);
    let y_desc = if diff {
        format!("difference from baseline ({word})")
    } else {
        word.to_string()
    };
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .x_label_area_size(44)
        .y_label_area_size(if y_desc.is_empty() { 76 } else { 96 })
        .build_cartesian_2d(x0..x1.max(x0 + 1.0 / 12.0), ylo..yhi)
        .map_err(err)?;
    let span = yhi - ylo;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("year")
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .x_labels(((x1 - x0).round() as usize + 1).clamp(2, 12))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| tick(unit, span, *y))
        .draw()
        .map_err(err)?;
    if diff {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, 0.0), (x1, 0.0)],
                BLACK.mix(0.5).stroke_width(1),
            )))
            .map_err(err)?;
    }
    // Labels stacked downwards, so marks close together stay readable.
    for (k, (x, text)) in marks.iter().filter(|m| m.0 >= x0 && m.0 <= x1).enumerate() {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(*x, ylo), (*x, yhi)],
                6,
                4,
                RGBColor(90, 90, 90).stroke_width(2),
            )))
            .map_err(err)?;
        let (px, py) = chart.backend_coord(&(*x, yhi));
        // Right of the mark, unless too close to the plot's right edge.
        let right_room = PLOT_W as i32 - 30 - px;
        let pos = if right_room > 130 {
            (px + 4, py + 4 + 16 * k as i32, HPos::Left)
        } else {
            (px - 4, py + 4 + 16 * k as i32, HPos::Right)
        };
        root.draw(&Text::new(
            text.clone(),
            (pos.0, pos.1),
            ("sans-serif", 13)
                .into_font()
                .color(&RGBColor(60, 60, 60))
                .pos(Pos::new(pos.2, VPos::Top)),
        ))
        .map_err(err)?;
    }
    for l in lines {
        let c = color(l.color);
        let band: Vec<(f64, f64)> = l
            .pts
            .iter()
            .filter(|p| finite(p.1) && finite(p.3))
            .map(|p| (p.0, p.3 * k))
            .chain(
                l.pts
                    .iter()
                    .rev()
                    .filter(|p| finite(p.1) && finite(p.3))
                    .map(|p| (p.0, p.1 * k)),
            )
            .collect();
        if band.len() >= 4 {
            chart
                .draw_series(std::iter::once(Polygon::new(band, c.mix(0.15))))
                .map_err(err)?;
        }
        chart
            .draw_series(LineSeries::new(
                l.pts.iter().filter(|p| finite(p.2)).map(|p| (p.0, p.2 * k)),
                c.stroke_width(2),
            ))
            .map_err(err)?;
    }
    let items: Vec<(String, RGBColor)> = lines.iter().map(|l| (l.name.clone(), color(l.color))).collect();
    draw_legend(&legend, &items)
}

/// A legend in its own column: a line of each colour and its name (cut to
/// fit the column).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, items: &[(String, RGBColor)]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for (i, (name, c)) in items.iter().enumerate() {
        let y = 30 + i as i32 * 22;
        area.draw(&PathElement::new(vec![(6, y), (28, y)], c.stroke_width(3)))
            .map_err(err)?;
        area.draw(&Text::new(
            cut(name, 26),
            (34, y),
            ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// `s` cut to `n` characters with an ellipsis.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

/// A bar of a difference chart.
struct Bar {
    /// Scenario.
    scenario: String,
    /// Date of the value.
    date: YearMonth,
    /// Colour index.
    color: usize,
    /// Mean, 5%, 95%.
    mean: f64,
    q05: f64,
    q95: f64,
}

/// Difference-from-baseline bars, horizontal, two per scenario (first year
/// of its levers, lighter, and the end, darker) with 5-95% whiskers. Laid
/// out on a continuous axis with one band per scenario, so any number of
/// scenarios (one included) draws.
fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    (unit, word): (Unit, &str),
    rows: &[Bar],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let area = titled(root, title)?;
    let k = if unit == Unit::Share { 100.0 } else { 1.0 };
    let mut scenarios: Vec<&str> = Vec::new();
    for r in rows {
        if !scenarios.contains(&r.scenario.as_str()) {
            scenarios.push(&r.scenario);
        }
    }
    let n = scenarios.len().max(1) as f64;
    let vals: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.mean, r.q05, r.q95])
        .filter(|v| v.is_finite())
        .map(|v| v * k)
        .collect();
    let lo = vals.iter().copied().fold(0.0, f64::min);
    let hi = vals.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.08).max(1e-6);
    let x_desc = if word.starts_with("GBP") {
        format!("{word} (bar: mean difference in cost / mean difference in FTE-years; line: 5-95% over paired runs)")
    } else {
        format!("difference from baseline, {word} (bar: mean; line: 5-95% over paired replicates)")
    };
    let span = hi - lo + 2.0 * pad;
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_right(30)
        .x_label_area_size(48)
        .y_label_area_size(250)
        .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..n)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .y_labels(0)
        .x_desc(x_desc)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .x_label_formatter(&|x| tick(unit, span, *x))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, n)],
            BLACK.stroke_width(1),
        )))
        .map_err(err)?;
    for (i, s) in scenarios.iter().enumerate() {
        // Band i from the top: y in [n - i - 1, n - i].
        let top = n - i as f64;
        let mine: Vec<&Bar> = rows.iter().filter(|r| r.scenario == *s).collect();
        let (px, py) = chart.backend_coord(&(lo - pad, top - 0.5));
        root.draw(&Text::new(
            cut(s, 24),
            (px - 66, py),
            ("sans-serif", 14)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        let slots = mine.len().max(1) as f64;
        for (j, b) in mine.iter().enumerate() {
            if !b.mean.is_finite() {
                continue;
            }
            let y1 = top - 0.1 - j as f64 * 0.8 / slots;
            let y0 = y1 - 0.8 / slots + 0.06;
            let c = color(b.color);
            let shade = if j + 1 < mine.len() { c.mix(0.35) } else { c.mix(0.8) };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y0), (b.mean * k, y1)],
                    shade.filled(),
                )))
                .map_err(err)?;
            let ym = (y0 + y1) / 2.0;
            if b.q05.is_finite() && b.q95.is_finite() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(b.q05 * k, ym), (b.q95 * k, ym)],
                        BLACK.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
            let (tx, ty) = chart.backend_coord(&(lo - pad, ym));
            root.draw(&Text::new(
                b.date.to_string(),
                (tx - 6, ty),
                ("sans-serif", 12)
                    .into_font()
                    .color(&RGBColor(80, 80, 80))
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- scenario report

/// What the levers of a scenario act on, read from their config paths:
/// staff groups, measures, and whether they move posts between regions.
#[derive(Default)]
struct Touched {
    groups: BTreeSet<u8>,
    measures: BTreeSet<&'static str>,
    regional: bool,
    /// Specialties a lever names (`specialty.<name>.*`, or a scheme family
    /// split by specialty: all of its specialties).
    specialties: BTreeSet<String>,
    /// Nursing fields a lever names (`nursing_field.<name>.*`).
    fields: BTreeSet<String>,
}

fn touched(rules: &Rules, scenarios: &[Scenario]) -> Touched {
    let mut t = Touched::default();
    let paths = scenarios
        .iter()
        .flat_map(|s| &s.levers)
        .flat_map(|l| {
            l.sets
                .iter()
                .map(|s| s.split('=').next().unwrap_or(s).trim().to_string())
                .chain(l.scales.iter().map(|p| p.0.clone()))
        })
        .collect::<Vec<_>>();
    let group_of_grade = |g: u8| rules.grades[g as usize].group;
    for p in &paths {
        let mut words = p.split('.');
        let (head, name) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let has = |w: &str| p.contains(w);
        match head {
            "hazard" => {
                if let Some(h) = rules.hazard_names.iter().position(|x| x == name) {
                    t.groups.extend(
                        rules
                            .outcomes
                            .iter()
                            .filter(|o| o.hazard as usize == h)
                            .map(|o| group_of_grade(o.to_grade)),
                    );
                }
            }
            "inflow" => {
                if let Some(f) = rules.inflows.iter().find(|f| f.name == name) {
                    t.groups.insert(group_of_grade(f.grade));
                    t.measures.insert("count.joiners");
                    if f.state == State::OverseasRecruit {
                        t.measures.insert("count.intl_joiners");
                    }
                }
            }
            "specialty" if rules.specialties.iter().any(|(n, _, _)| n == name) => {
                // A later curriculum acts on its specialty's series.
                let of = rules
                    .specialties
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .and_then(|x| x.2.clone());
                t.specialties.insert(of.unwrap_or_else(|| name.to_string()));
                if let Some(g) = rules.group_index("doctor") {
                    t.groups.insert(g);
                }
                t.measures.extend(["count.acceptances", "rate.fill"]);
            }
            "nursing_field" if rules.nursing_fields.iter().any(|f| f == name) => {
                t.fields.insert(name.to_string());
                if let Some(g) = rules.group_index("nurse") {
                    t.groups.insert(g);
                }
                t.measures.insert("count.starts");
            }
            "recruitment" if rules.scheme_families.iter().any(|f| f.name == name) => {
                let fam = rules.scheme_families.iter().find(|f| f.name == name);
                for &m in fam.map(|f| f.members.as_slice()).unwrap_or(&[]) {
                    let s = &rules.schemes[m];
                    t.groups.insert(group_of_grade(s.into_grade));
                    if let Some(sp) = s.name.strip_prefix(&format!("{name}_")) {
                        let of = rules
                            .specialties
                            .iter()
                            .find(|(n, _, _)| n == sp)
                            .and_then(|x| x.2.clone());
                        t.specialties.insert(of.unwrap_or_else(|| sp.to_string()));
                    }
                }
                t.measures
                    .extend(["count.acceptances", "rate.fill", "count.unfilled_posts"]);
            }
            "recruitment" => {
                if let Some(s) = rules.schemes.iter().find(|s| s.name == name) {
                    t.groups.insert(group_of_grade(s.into_grade));
                    t.measures.extend([
                        "count.acceptances",
                        "rate.fill",
                        "count.unfilled_posts",
                        "count.joiners",
                    ]);
                }
            }
            "group" => {
                if let Some(g) = rules.group_index(name) {
                    t.groups.insert(g);
                }
            }
            "grade" => {
                if let Some(g) = rules.grade_index(name) {
                    t.groups.insert(group_of_grade(g));
                }
            }
            "pause" => {
                t.groups
                    .extend(rules.grades.iter().filter(|g| g.pause_eligible).map(|g| g.group));
            }
            _ => {}
        }
        if has("ltft") {
            t.measures.insert("share.ltft");
            t.measures.insert("time_to_cct");
        }
        if has("pause") || has("out_of_programme") {
            t.measures
                .extend(["share.pause", "count.pause_returns", "time_to_cct", "count.ccts"]);
        }
        if has("leaving") || has("attrition") || has("exit") {
            t.measures.extend(["rate.leaver", "count.leavers"]);
        }
        if has("return") {
            t.measures.insert("count.joiners");
        }
        if has("establishment") {
            t.measures.extend(["establishment", "vacancies", "rate.vacancy"]);
        }
        if has("region_shares") {
            t.regional = true;
        }
    }
    t
}

/// The staff group a scope names, if it names one (a group, its training
/// grades, or a grade).
fn group_of_scope(rules: &Rules, scope: &str) -> Option<u8> {
    rules
        .group_index(scope)
        .or_else(|| scope.strip_suffix("_in_training").and_then(|g| rules.group_index(g)))
        .or_else(|| rules.grade_index(scope).map(|g| rules.grades[g as usize].group))
}

impl Touched {
    /// Whether a series is a first-order effect of the levers: a measure a
    /// lever names, for a group it touches (or every group); the stocks and
    /// vacancies of a touched group; regional stocks when posts move
    /// between regions.
    fn acts_on(&self, rules: &Rules, name: &str) -> bool {
        let Some((measure, scope, region)) = split_name(name) else {
            return false;
        };
        let group = group_of_scope(rules, scope);
        let in_group = group.is_none_or(|g| self.groups.contains(&g));
        let stock = matches!(measure, "headcount" | "fte" | "vacancies" | "rate.vacancy");
        // A named specialty's consultants and trainees (by region when
        // posts move between regions).
        let specialty = ["consultant_", "trainee_"]
            .iter()
            .find_map(|p| scope.strip_prefix(p))
            .is_some_and(|sp| self.specialties.contains(sp));
        if specialty && stock {
            return region.is_none() || self.regional;
        }
        // A named nursing field's nurses and intake.
        let field = scope
            .strip_prefix("nurse_")
            .or_else(|| scope.strip_prefix("nursing_intake_"))
            .is_some_and(|f| self.fields.contains(f));
        if field && region.is_none() && (stock || measure == "count.starts") {
            return true;
        }
        if region.is_some() {
            return self.regional && stock && in_group;
        }
        let grade_scoped =
            rules.group_index(scope).is_none() && rules.grade_index(scope).is_some() && measure != "time_to_cct";
        if grade_scoped {
            return false;
        }
        (self.measures.contains(measure) && in_group) || (stock && group.is_some() && in_group)
    }
}

/// The KPIs always shown when not zero, after those the levers act on.
const KPIS: &[&str] = &[
    "share.ltft.in_training",
    "count.pause_returns.all",
    "count.ccts.all",
    "time_to_cct.all",
    "rate.leaver.nurse",
    "rate.leaver.doctor",
    "headcount.nurse",
    "headcount.doctor",
    "fte.gp",
    "vacancies.nurse",
    "rate.vacancy.nurse",
    "count.unfilled_posts.all",
];

/// Per scenario, (decimal year, 5%, mean, 95%) of a series over time.
fn over_time(rows: &[Row], scenarios: &[String], series: &str) -> Vec<Vec<(f64, f64, f64, f64)>> {
    scenarios
        .iter()
        .map(|s| {
            rows.iter()
                .filter(|r| &r.scenario == s && r.series == series)
                .map(|r| (year_of(r.date), r.stats.q05, r.stats.mean, r.stats.q95))
                .collect()
        })
        .collect()
}

fn all_zero(pts: &[Vec<(f64, f64, f64, f64)>]) -> bool {
    pts.iter()
        .flatten()
        .flat_map(|p| [p.1, p.2, p.3])
        .all(|v| v == 0.0 || !v.is_finite())
}

/// The date of a scenario's first-year effect: the first report date a
/// full year after its first lever (the end, if none comes before it or it
/// has no lever).
fn first_year_date(s: &Scenario, dates: &[YearMonth]) -> YearMonth {
    let last = dates.last().copied().unwrap_or(YearMonth { year: 2000, month: 1 });
    match s.first_change() {
        Some(f) => dates.iter().copied().find(|d| *d >= f.plus(11)).unwrap_or(last),
        None => last,
    }
}

/// Parquet tables, plots and report.html of a scenario ensemble.
pub fn render(
    spec: &EnsembleSpec,
    rules: &Rules,
    summary: &[Row],
    difference: &[Row],
    runs: &[RunValues],
    series: &[Reported],
    effects: &[CostEffect],
) -> Result<Vec<(String, Vec<u8>)>> {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    let mut files = vec![
        ("summary.parquet".to_string(), rows_parquet(summary)?),
        ("difference.parquet".to_string(), rows_parquet(difference)?),
        ("runs.parquet".to_string(), runs_parquet(spec, rules, runs, series)?),
    ];
    let names: Vec<String> = spec.scenarios.iter().map(|s| s.name.clone()).collect();
    let others = &spec.scenarios[1..];
    let dates: Vec<YearMonth> = report_months(spec.months)
        .iter()
        .map(|&m| rules.start.plus(m))
        .collect();
    let last = dates.last().copied().unwrap_or(rules.start);
    let first_year: Vec<YearMonth> = others.iter().map(|s| first_year_date(s, &dates)).collect();
    // Lever starts, marked on time charts.
    let mut starts: Vec<YearMonth> = others.iter().flat_map(|s| s.levers.iter().map(|l| l.from)).collect();
    starts.sort_unstable();
    starts.dedup();
    let marks: Vec<(f64, String)> = starts
        .iter()
        .map(|d| (year_of(*d), format!("lever from {d}")))
        .collect();

    // Rows of the effects table: those the levers act on first.
    let touch = touched(rules, others);
    let mut acted: Vec<String> = series
        .iter()
        .map(|r| r.id.name.clone())
        .filter(|n| touch.acts_on(rules, n))
        .collect();
    let mut rest: Vec<String> = KPIS
        .iter()
        .map(|s| s.to_string())
        .chain(
            rules
                .grades
                .iter()
                .filter(|g| g.awards_cct)
                .map(|g| format!("time_to_cct.{}", g.name)),
        )
        .filter(|n| !acted.contains(n) && series.iter().any(|r| &r.id.name == n))
        .collect();
    let diff_at = |scenario: &str, name: &str, date: YearMonth| {
        difference
            .iter()
            .find(|r| r.scenario == scenario && r.series == name && r.date == date)
    };
    let nonzero = |name: &String| {
        others.iter().zip(&first_year).any(|(s, &fy)| {
            [fy, last].iter().any(|&d| {
                diff_at(&s.name, name, d).is_some_and(|r| {
                    [r.stats.mean, r.stats.q05, r.stats.q95]
                        .iter()
                        .any(|v| v.is_finite() && *v != 0.0)
                })
            })
        })
    };
    let before = acted.len() + rest.len();
    acted.retain(nonzero);
    rest.retain(nonzero);
    let zero_rows = before - acted.len() - rest.len();

    let mut bar_plots = Vec::new();
    for name in acted.iter().chain(&rest) {
        let unit = unit_of_name(rules, name);
        let mut rows = Vec::new();
        for (i, (s, &fy)) in others.iter().zip(&first_year).enumerate() {
            let at: Vec<YearMonth> = if fy == last { vec![last] } else { vec![fy, last] };
            for d in at {
                if let Some(r) = diff_at(&s.name, name, d) {
                    rows.push(Bar {
                        scenario: s.name.clone(),
                        date: d,
                        color: i + 1,
                        mean: r.stats.mean,
                        q05: r.stats.q05,
                        q95: r.stats.q95,
                    });
                }
            }
        }
        let title = format!("{}: difference from baseline", label(name));
        let word = unit_word(name, true);
        let file = format!("diff_{}", name.replace(['.', '@'], "_"));
        files.extend(both(&file, &|r| bars(r, &title, (unit, word), &rows), &|r| {
            bars(r, &title, (unit, word), &rows)
        })?);
        bar_plots.push((file, title));
    }

    // Effects that build up as cohorts pass through: the paired difference
    // of each year's value over time.
    let other_names = &names[1..];
    let mut trends = Vec::new();
    let trend_kpis = acted
        .iter()
        .filter(|n| n.starts_with("time_to_cct."))
        .chain(rest.iter().filter(|n| n.starts_with("time_to_cct.")));
    for kpi in trend_kpis {
        let data = over_time(difference, other_names, kpi);
        if data.iter().all(|d| d.is_empty()) || all_zero(&data) {
            continue;
        }
        let lines: Vec<Line> = other_names
            .iter()
            .zip(data)
            .enumerate()
            .map(|(i, (n, pts))| Line {
                name: n.clone(),
                color: i + 1,
                pts,
            })
            .collect();
        let title = format!("{}: difference by year (mean, 5-95%)", label(kpi));
        let file = format!("trend_{}", kpi.replace(['.', '@'], "_"));
        let what = (Unit::Months, true, "months");
        files.extend(both(&file, &|r| time_chart(r, &title, what, &lines, &marks), &|r| {
            time_chart(r, &title, what, &lines, &marks)
        })?);
        trends.push((file, title));
    }

    let mut fans = Vec::new();
    for g in &rules.groups {
        let vacancies: &[&str] = if g.establishment.is_some() { &["vacancies"] } else { &[] };
        for &m in ["fte", "headcount"].iter().chain(vacancies) {
            let name = format!("{m}.{}", g.name);
            let data = over_time(summary, &names, &name);
            if data.iter().all(|d| d.is_empty()) || all_zero(&data) {
                continue;
            }
            let lines: Vec<Line> = names
                .iter()
                .zip(data)
                .enumerate()
                .map(|(i, (n, pts))| Line {
                    name: n.clone(),
                    color: i,
                    pts,
                })
                .collect();
            let title = format!("{} by scenario (mean, 5-95%)", label(&name));
            let file = format!("fan_{m}_{}", g.name);
            let what = (Unit::Count, false, unit_word(&name, false));
            files.extend(both(&file, &|r| time_chart(r, &title, what, &lines, &marks), &|r| {
                time_chart(r, &title, what, &lines, &marks)
            })?);
            fans.push((file, title));
        }
    }

    let cost_html = cost_section(rules, &names, summary, effects, &marks, &mut files)?;

    // report.html
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>careersim scenarios: {}</title>\n<style>{CSS}</style></head><body>\n<h1>careersim scenarios</h1>\n<p>{} from {} to {last}; {} replicates per scenario{}, common random numbers (replicate r uses the same seed in every scenario). Ranges in brackets are 5-95% over runs; differences are paired by replicate. Counts are whole numbers (scaled back to the population), shares and rates are percentages and their differences percentage points (pp).</p>\n",
        html_escape(&rules.name),
        html_escape(&rules.name),
        rules.start,
        spec.replicates,
        spec.posterior.map_or(String::new(), |p| format!(
            " x {} parameter draws from the calibration posterior",
            p.2
        )),
    );
    // Where the runs' shared history came from.
    let saved = spec
        .from_snapshot
        .and_then(|b| careersim::snapshot::Snapshot::from_bytes(b).ok());
    if let Some(snap) = saved {
        let _ = writeln!(
            h,
            "<p>Every run continues from a saved snapshot (<code>--from-snapshot</code>): the history to {} is \
             one run of seed {}, shared by all replicates; replicate r continues with seed {} + r. The spread \
             shown is that of the future given this present.</p>",
            rules.start.plus(snap.month),
            snap.seed,
            snap.seed
        );
    } else if let Some(b) = spec.branch {
        let _ = writeln!(
            h,
            "<p>The history to {} is run once per replicate and every scenario continues from it \
             (<code>--branch-at</code>).</p>",
            rules.start.plus(b)
        );
    }
    h.push_str("<h2>Scenarios</h2>\n<table><tr><th>scenario</th><th class=\"text\">question</th><th class=\"text\">policy and levers</th></tr>\n");
    for s in &spec.scenarios {
        let levers: Vec<String> = s
            .levers
            .iter()
            .map(|l| format!("from {}: {}", l.from, html_escape(&l.describe().join(", "))))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"text\">{}</td><td class=\"text\">{}<br><small>{}</small></td></tr>",
            html_escape(&s.name),
            html_escape(&s.description),
            html_escape(&s.policy),
            levers.join("<br>")
        );
    }
    h.push_str("</table>\n<h2>Effects: difference from baseline</h2>\n");
    let _ = writeln!(
        h,
        "<p>Mean difference from the baseline and [5-95%], at the first yearly date a full year after each scenario's first lever starts (‘first year’) and at the end ({last}); the baseline's level at the end for scale. {}</p>",
        if zero_rows > 0 {
            format!("{zero_rows} key series that are exactly zero in every scenario are left out.")
        } else {
            String::new()
        }
    );
    h.push_str("<div class=\"scroll\"><table class=\"effects\"><tr><th rowspan=\"2\">series</th><th rowspan=\"2\">baseline<br>");
    let _ = write!(h, "{last}</th>");
    for s in others {
        let _ = write!(h, "<th colspan=\"2\">{}</th>", html_escape(&s.name));
    }
    h.push_str("</tr>\n<tr>");
    for &fy in &first_year {
        if fy == last {
            let _ = write!(h, "<th>–</th><th>{last}</th>");
        } else {
            let _ = write!(h, "<th>first year<br>{fy}</th><th>{last}</th>");
        }
    }
    h.push_str("</tr>\n");
    let ncols = 2 + 2 * others.len();
    for (heading, rows) in [
        ("Series the scenarios' levers act on", &acted),
        ("Other key series", &rest),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<tr class=\"group\"><th colspan=\"{ncols}\">{heading}</th></tr>");
        for name in rows {
            let unit = unit_of_name(rules, name);
            let base = summary
                .iter()
                .find(|r| r.scenario == names[0] && &r.series == name && r.date == last)
                .map_or(f64::NAN, |r| r.stats.mean);
            let _ = write!(
                h,
                "<tr><td title=\"{}\">{}</td><td>{}</td>",
                html_escape(name),
                html_escape(&label(name)),
                show(unit, base, false)
            );
            for (s, &fy) in others.iter().zip(&first_year) {
                for d in [fy, last] {
                    if d == fy && fy == last {
                        h.push_str("<td></td>");
                        continue;
                    }
                    match diff_at(&s.name, name, d) {
                        Some(r) => {
                            let _ = write!(
                                h,
                                "<td>{} <small>[{}, {}]</small></td>",
                                show(unit, r.stats.mean, true),
                                show(unit, r.stats.q05, true).trim_end_matches(" pp"),
                                show(unit, r.stats.q95, true).trim_end_matches(" pp")
                            );
                        }
                        None => h.push_str("<td></td>"),
                    }
                }
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</table></div>\n");
    h.push_str(&cost_html);
    if spec.posterior.is_some() {
        h.push_str("<h2>Monte-Carlo and parameter uncertainty at the end</h2>\n<p>Standard deviations over runs: within parameter draws (Monte-Carlo) and between draw means (parameter).</p>\n<table><tr><th>scenario</th><th class=\"text\">series</th><th>mean</th><th>5-95%</th><th>SD Monte-Carlo</th><th>SD parameter</th></tr>\n");
        for r in summary.iter().filter(|r| r.date == last) {
            let is_group_fte = split_name(&r.series)
                .is_some_and(|(m, s, reg)| m == "fte" && reg.is_none() && rules.group_index(s).is_some());
            if !is_group_fte {
                continue;
            }
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>[{}, {}]</td><td>{}</td><td>{}</td></tr>",
                html_escape(&r.scenario),
                html_escape(&label(&r.series)),
                thousands(r.stats.mean, 0),
                thousands(r.stats.q05, 0),
                thousands(r.stats.q95, 0),
                thousands(r.sd_monte_carlo, 0),
                thousands(r.sd_parameter, 0)
            );
        }
        h.push_str("</table>\n");
    }
    let marks_note = if starts.is_empty() {
        String::new()
    } else {
        " Dashed vertical lines mark the month a lever starts.".to_string()
    };
    for (heading, note, plots) in [
        (
            "Difference bars",
            "Per scenario, the upper (lighter) bar is the first year of its levers, the lower the end; the whisker is 5-95% over paired replicates.".to_string(),
            &bar_plots,
        ),
        (
            "Differences over time",
            format!("The paired difference of each year's value, by year.{marks_note}"),
            &trends,
        ),
        (
            "Levels over time",
            format!("Each scenario's mean and 5-95% band.{marks_note}"),
            &fans,
        ),
    ] {
        if plots.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h2>{heading}</h2>\n<p>{note}</p>");
        for (file, title) in plots {
            let _ = writeln!(
                h,
                "<figure><img src=\"plots/{file}.svg\" alt=\"{}\" width=\"960\" height=\"540\"><figcaption><a href=\"plots/{file}.png\">PNG</a></figcaption></figure>",
                html_escape(title)
            );
        }
    }
    h.push_str("<h2>Tables</h2>\n<p>Columns: scenario, series, measure, scope, region (empty: England), date (the last day of the month), then the statistics. CSV values are rounded (counts to whole numbers, the rest to 4 significant digits); Parquet keeps full precision with <code>date</code> as a date.</p>\n<ul>\n<li><a href=\"summary.csv\">summary.csv</a> / <a href=\"summary.parquet\">summary.parquet</a>: per scenario, series and date: mean, 5/50/95% quantiles, Monte-Carlo and parameter standard deviations</li>\n<li><a href=\"difference.csv\">difference.csv</a> / <a href=\"difference.parquet\">difference.parquet</a>: the same for the paired difference from the baseline</li>\n<li><a href=\"runs.parquet\">runs.parquet</a>: every run's value (also written as runs.csv, which the checked-in examples leave out for size)</li>\n<li><a href=\"manifest.json\">manifest.json</a>: command, seeds, levers, timings</li>\n</ul>\n</body></html>\n");
    files.push(("report.html".into(), h.into_bytes()));
    Ok(files)
}

/// The scenario report's cost section: cost per additional FTE-year of each
/// scenario as bars with intervals and as a table (the last whole year),
/// and spend by category over time (the baseline, then each scenario's
/// difference in total spend). Empty without `[cost]`.
fn cost_section(
    rules: &Rules,
    names: &[String],
    summary: &[Row],
    effects: &[CostEffect],
    marks: &[(f64, String)],
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<String> {
    let Some(cost) = &rules.cost else {
        return Ok(String::new());
    };
    let mut h = String::new();
    let base = cost.price_base_year;
    let prices = format!("{base}/{:02}", (base + 1) % 100);
    let _ = writeln!(
        h,
        "<h2>Costs</h2>\n<p>Pounds at {prices} prices (the config's price base year; earlier years' costs in the config's own terms, see its <code>[cost]</code> notes), with thousands separators. <b>Cost per additional FTE-year</b> = the discounted difference in total spend of the scope (pay with employer on-costs, education and training, recruitment, programmes) / the discounted difference in its FTE-years in post, both summed over whole years to the date shown and discounted at {:.1}% a year (HM Treasury Green Book). It includes the pay of the extra staff; <b>non-pay</b> is the route's own cost (training, recruitment, programmes) per FTE-year. Intervals are 5-95% of the ratio over paired runs; “unbounded” when some pair gained no FTE-years; “undefined” when the scenario does not change the scope's FTE at all.</p>",
        cost.discount_rate * 100.0
    );
    let Some(through) = effects.iter().map(|e| e.through).max() else {
        h.push_str("<p>No scenario to compare (or no whole year simulated).</p>\n");
        return Ok(h);
    };
    let last: Vec<&CostEffect> = effects.iter().filter(|e| e.through == through).collect();
    // Bars: per scenario, the staff group whose FTE-years change most, and all staff.
    let mut bars_rows = Vec::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for e in &last {
        if !scenarios.contains(&e.scenario.as_str()) {
            scenarios.push(&e.scenario);
        }
    }
    for (i, s) in scenarios.iter().enumerate() {
        let mine: Vec<&&CostEffect> = last.iter().filter(|e| e.scenario == *s).collect();
        let top = mine
            .iter()
            .filter(|e| e.scope != "all")
            .max_by(|a, b| a.delta_fte_years.mean.abs().total_cmp(&b.delta_fte_years.mean.abs()));
        for e in top.into_iter().chain(mine.iter().filter(|e| e.scope == "all")) {
            if !e.per_fte_year.is_finite() {
                continue;
            }
            bars_rows.push(Bar {
                scenario: format!("{} · {}", e.scenario, e.scope),
                date: through,
                color: i + 1,
                mean: e.per_fte_year,
                q05: e.per_fte_year_q[0],
                q95: e.per_fte_year_q[2],
            });
        }
    }
    if !bars_rows.is_empty() {
        let title = format!("Cost per additional FTE-year to {through} (GBP, {prices} prices)");
        let word = "GBP per additional FTE-year";
        files.extend(both(
            "cost_per_fte_year",
            &|r| bars(r, &title, (Unit::Count, word), &bars_rows),
            &|r| bars(r, &title, (Unit::Count, word), &bars_rows),
        )?);
        let _ = writeln!(
            h,
            "<figure><img src=\"plots/cost_per_fte_year.svg\" alt=\"{}\" width=\"960\" height=\"540\"><figcaption>Per scenario, the staff group whose FTE-years change most, and all staff. <a href=\"plots/cost_per_fte_year.png\">PNG</a></figcaption></figure>",
            html_escape(&title)
        );
    }
    let _ = writeln!(
        h,
        "<table><tr><th>scenario</th><th>scope</th><th>extra FTE-years to {through} (discounted)</th><th>extra spend (GBP, discounted)</th><th>cost per additional FTE-year (GBP)</th><th>non-pay cost per FTE-year (GBP)</th></tr>"
    );
    let interval = |p: f64, q: [f64; 3]| {
        if !p.is_finite() {
            "undefined".to_string()
        } else if q[0].is_finite() {
            format!("{} <small>[{}, {}]</small>", pounds(p), pounds(q[0]), pounds(q[2]))
        } else {
            format!("{} <small>[unbounded]</small>", pounds(p))
        }
    };
    for e in &last {
        let moved = [e.delta_fte_years.mean, e.delta_cost.mean]
            .iter()
            .any(|v| v.is_finite() && *v != 0.0);
        if !moved {
            continue;
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} <small>[{}, {}]</small></td><td>{} <small>[{}, {}]</small></td><td>{}</td><td>{}</td></tr>",
            html_escape(&e.scenario),
            html_escape(&e.scope),
            show(Unit::Count, e.delta_fte_years.mean, true),
            thousands(e.delta_fte_years.q05, 0),
            thousands(e.delta_fte_years.q95, 0),
            pounds(e.delta_cost.mean),
            pounds(e.delta_cost.q05),
            pounds(e.delta_cost.q95),
            interval(e.per_fte_year, e.per_fte_year_q),
            interval(e.non_pay_per_fte_year, e.non_pay_per_fte_year_q),
        );
    }
    h.push_str(
        "</table>\n<p>Every scope and every year: <a href=\"cost_effectiveness.csv\">cost_effectiveness.csv</a>.</p>\n",
    );
    // Spend by category over time: the baseline.
    let mut plots = Vec::new();
    for (file, title, cats) in [
        (
            "spend_pay",
            "All staff: pay and total spend, baseline (GBP million a year, mean, 5-95%)",
            &["cost.total.all", "cost.pay.all"][..],
        ),
        (
            "spend_other",
            "All staff: training, recruitment and programme spend, baseline (GBP million a year)",
            &["cost.training.all", "cost.recruitment.all", "cost.programme.all"][..],
        ),
    ] {
        let lines: Vec<Line> = cats
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let pts: Vec<(f64, f64, f64, f64)> = over_time(summary, &names[..1], c)
                    .into_iter()
                    .next()?
                    .into_iter()
                    .map(|p| (p.0, p.1 / 1e6, p.2 / 1e6, p.3 / 1e6))
                    .collect();
                (!pts.is_empty()).then(|| Line {
                    name: label(c).replace("all staff: ", "").replace(" (GBP a year)", ""),
                    color: i,
                    pts,
                })
            })
            .collect();
        if lines.is_empty() {
            continue;
        }
        let what = (Unit::Count, false, "GBP million a year");
        files.extend(both(file, &|r| time_chart(r, title, what, &lines, marks), &|r| {
            time_chart(r, title, what, &lines, marks)
        })?);
        plots.push((file.to_string(), title.to_string()));
    }
    // Each scenario's difference in total spend, all staff.
    let diff_lines: Vec<Line> = names[1..]
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let base = over_time(summary, &names[..1], "cost.total.all").into_iter().next()?;
            let mine = over_time(summary, std::slice::from_ref(n), "cost.total.all")
                .into_iter()
                .next()?;
            let pts: Vec<(f64, f64, f64, f64)> = base
                .iter()
                .zip(&mine)
                .map(|(b, m)| (b.0, f64::NAN, (m.2 - b.2) / 1e6, f64::NAN))
                .collect();
            (!pts.is_empty()).then(|| Line {
                name: n.clone(),
                color: i + 1,
                pts,
            })
        })
        .collect();
    if !diff_lines.is_empty() {
        let title = "All staff: total spend, scenario minus baseline (GBP million a year, mean)";
        let what = (Unit::Count, true, "GBP million a year");
        files.extend(both(
            "spend_diff",
            &|r| time_chart(r, title, what, &diff_lines, marks),
            &|r| time_chart(r, title, what, &diff_lines, marks),
        )?);
        plots.push(("spend_diff".to_string(), title.to_string()));
    }
    for (file, title) in plots {
        let _ = writeln!(
            h,
            "<figure><img src=\"plots/{file}.svg\" alt=\"{}\" width=\"960\" height=\"540\"><figcaption><a href=\"plots/{file}.png\">PNG</a></figcaption></figure>",
            html_escape(&title)
        );
    }
    Ok(h)
}

/// The spend categories of a run's report, `total` first.
const RUN_COST_CATEGORIES: [&str; 5] = [
    "cost.total",
    "cost.pay",
    "cost.training",
    "cost.recruitment",
    "cost.programme",
];

const CSS: &str = "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.4;color:#222}table{border-collapse:collapse;margin:0.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}th{text-align:center}td:first-child,th:first-child,td.text,th.text{text-align:left}tr.group th{text-align:left;background:#f0f0f0}td small{color:#666}.effects{font-size:0.9em}.effects small{white-space:nowrap}.scroll{overflow-x:auto}th span{white-space:nowrap}img{max-width:100%;height:auto}figure{margin:1em 0}figcaption{font-size:small}code{background:#f4f4f4}";

// ---------------------------------------------------------------- run report

/// The series of a run's series.parquet and plots: by group, headcount and
/// FTE, LTFT share of trainees (groups with training grades), leavers and
/// leaver rate and joiners over the twelve months to each month,
/// establishment, vacancies and vacancy rate (groups with an
/// establishment), headcount and FTE by region; for everyone, headcount,
/// FTE, LTFT and pause shares of trainees, CCTs and returns from pause.
pub fn run_series(rules: &Rules) -> Vec<Reported> {
    let mut names: Vec<String> = Vec::new();
    for g in &rules.groups {
        let gi = rules.group_index(&g.name);
        let trains = rules
            .grades
            .iter()
            .any(|x| Some(x.group) == gi && x.kind == GradeKind::Training);
        names.push(format!("headcount.{}", g.name));
        names.push(format!("fte.{}", g.name));
        if trains {
            names.push(format!("share.ltft.{}", g.name));
        }
        for m in ["rate.leaver", "count.leavers", "count.joiners"] {
            names.push(format!("{m}.{}", g.name));
        }
        if g.establishment.is_some() {
            for m in ["establishment", "vacancies", "rate.vacancy"] {
                names.push(format!("{m}.{}", g.name));
            }
        }
        for r in rules.reporting_regions() {
            names.push(format!("headcount.{}@{r}", g.name));
            names.push(format!("fte.{}@{r}", g.name));
        }
    }
    for n in [
        "headcount.all",
        "fte.all",
        "share.ltft.in_training",
        "share.pause.in_training",
        "count.ccts.all",
        "count.pause_returns.all",
        "count.leavers.all",
        "count.joiners.all",
    ] {
        names.push(n.to_string());
    }
    // Spend by category and by group (the twelve months to each month).
    if rules.cost.is_some() {
        for m in RUN_COST_CATEGORIES {
            names.push(format!("{m}.all"));
        }
        for g in &rules.groups {
            names.push(format!("cost.total.{}", g.name));
        }
    }
    if rules.pensions.is_some() {
        for g in &rules.groups {
            names.push(format!("count.retirements.{}", g.name));
            names.push(format!("count.retire_and_return.{}", g.name));
        }
    }
    // Specialties: consultants nationally and by region, trainees, fill rates.
    for (sp, programme, later_of) in &rules.specialties {
        if later_of.is_some() {
            continue; // in its specialty's series
        }
        if programme != "core" {
            names.push(format!("fte.consultant_{sp}"));
            for r in rules.reporting_regions() {
                names.push(format!("fte.consultant_{sp}@{r}"));
            }
        }
        names.push(format!("headcount.trainee_{sp}"));
    }
    for s in rules.schemes.iter().filter(|s| s.family.is_some()) {
        names.push(format!("rate.fill.{}", s.name));
    }
    // Nursing fields, and the grades of the routes into them from other
    // groups (nursing associates).
    for f in &rules.nursing_fields {
        names.push(format!("fte.nurse_{f}"));
    }
    for g in routes_into_nursing(rules) {
        names.push(format!("fte.{}", rules.grades[g as usize].name));
    }
    names
        .into_iter()
        .filter_map(|n| SeriesId::parse(rules, &n).ok())
        .map(|id| Reported {
            grain: if id.is_stock() { Grain::Month } else { Grain::Year },
            id,
        })
        .collect()
}

/// The base year of the nursing-field KPIs (the NHS People Plan's
/// learning disability and mental health growth against 2021/22): the
/// September 2021 census, or the run's first month if later.
const FIELD_BASE: (i32, u32) = (2021, 9);

/// The employed and training grades of every group with a grade that
/// completes into a nursing field's registered grade while not being a
/// nurse itself (nursing associates and their degree apprenticeship).
fn routes_into_nursing(rules: &Rules) -> Vec<u8> {
    let field_grade = |g: u8| {
        rules
            .nursing_fields
            .iter()
            .any(|f| rules.grades[g as usize].name.ends_with(&format!("_{f}")))
    };
    let groups: BTreeSet<u8> = (0..rules.grades.len() as u8)
        .filter(|&g| {
            let gr = &rules.grades[g as usize];
            !field_grade(g)
                && gr
                    .next
                    .is_some_and(|n| field_grade(n) && rules.grades[n as usize].group != gr.group)
        })
        .map(|g| rules.grades[g as usize].group)
        .collect();
    (0..rules.grades.len() as u8)
        .filter(|&g| {
            let gr = &rules.grades[g as usize];
            groups.contains(&gr.group) && gr.kind != GradeKind::Student
        })
        .collect()
}

/// With ICSs: nurse and doctor FTE of each ICS at the first and last month,
/// as an HTML table (rows by NHS England region).
fn ics_table(rules: &Rules, h: &History) -> String {
    if rules.region_groups.is_empty() || h.records.is_empty() {
        return String::new();
    }
    let last = h.records.len() - 1;
    let value = |name: &str, m: usize| {
        SeriesId::parse(rules, name)
            .ok()
            .and_then(|id| id.value(rules, &h.records, m, Grain::Month))
            .unwrap_or(f64::NAN)
    };
    let end = rules.start.plus(h.records[last].month);
    let mut t = format!(
        "<h2>Integrated care systems</h2>\n<p>FTE in post by ICS (<code>[[ics]]</code>; series <code>fte.nurse@&lt;ics&gt;</code>), {} and {end}. Training posts are recruited by NHS England region; recruits keep their ICS.</p>\n<table><tr><th>region</th><th>ICS</th><th>nurse FTE {}</th><th>nurse FTE {end}</th><th>change</th><th>doctor FTE {}</th><th>doctor FTE {end}</th><th>change</th></tr>\n",
        rules.start, rules.start, rules.start
    );
    for (r, ics) in rules.regions.iter().enumerate() {
        let region = &rules.region_groups[rules.region_group_of[r] as usize];
        let _ = write!(
            t,
            "<tr><td>{}</td><td class=\"text\">{}</td>",
            html_escape(region),
            html_escape(ics)
        );
        for g in ["nurse", "doctor"] {
            let (a, b) = (
                value(&format!("fte.{g}@{ics}"), 0),
                value(&format!("fte.{g}@{ics}"), last),
            );
            let _ = write!(
                t,
                "<td>{}</td><td>{}</td><td>{:+.1}%</td>",
                thousands(a, 0),
                thousands(b, 0),
                100.0 * (b / a - 1.0)
            );
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table>\n");
    t
}

fn monthly_parquet(rules: &Rules, h: &History) -> Result<Vec<u8>> {
    let (mut month, mut date, mut group, mut grade, mut state, mut region, mut head, mut fte) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut ics: Vec<Option<&str>> = vec![];
    for rec in &h.records {
        let d = rules.start.plus(rec.month).month_end_epoch_days();
        for (cell, &n) in rec.stock.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let (g, st, r) = rules.cell_parts(cell);
            let gr = &rules.grades[g as usize];
            month.push(rec.month);
            date.push(d);
            group.push(rules.groups[gr.group as usize].name.as_str());
            grade.push(gr.name.as_str());
            state.push(st.name());
            // With ICSs: the NHS England region, and the ICS in `ics`.
            if rules.region_groups.is_empty() {
                region.push(rules.regions[r as usize].as_str());
                ics.push(None);
            } else {
                region.push(rules.region_groups[rules.region_group_of[r as usize] as usize].as_str());
                ics.push(Some(rules.regions[r as usize].as_str()));
            }
            head.push(n as u64);
            fte.push(rec.fte[cell] as f64 / 10.0);
        }
    }
    let schema = Schema::new(vec![
        Field::new("month", DataType::UInt32, false),
        Field::new("date", DataType::Date32, false),
        Field::new("group", DataType::Utf8, false),
        Field::new("grade", DataType::Utf8, false),
        Field::new("state", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("ics", DataType::Utf8, true),
        Field::new("headcount", DataType::UInt64, false),
        Field::new("fte", DataType::Float64, false),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(month)),
        Arc::new(Date32Array::from(date)),
        Arc::new(StringArray::from(group)),
        Arc::new(StringArray::from(grade)),
        Arc::new(StringArray::from(state)),
        Arc::new(StringArray::from(region)),
        Arc::new(StringArray::from(ics)),
        Arc::new(UInt64Array::from(head)),
        Arc::new(Float64Array::from(fte)),
    ];
    parquet_bytes(RecordBatch::try_new(Arc::new(schema), cols)?)
}

/// Values of a run's series by month: (series, [(month, value)]).
type RunValuesByMonth = Vec<(Reported, Vec<(u32, f64)>)>;

fn run_values(rules: &Rules, h: &History, series: &[Reported]) -> RunValuesByMonth {
    use rayon::prelude::*;
    series
        .par_iter()
        .map(|rep| {
            let v = rep
                .id
                .values(rules, &h.records, rep.grain)
                .into_iter()
                .enumerate()
                .filter_map(|(m, v)| v.map(|v| (h.records[m].month, v)))
                .collect();
            (rep.clone(), v)
        })
        .collect()
}

fn series_parquet(rules: &Rules, values: &RunValuesByMonth) -> Result<Vec<u8>> {
    let (mut month, mut date, mut name, mut grain, mut val) = (vec![], vec![], vec![], vec![], vec![]);
    for (rep, v) in values {
        for &(m, x) in v {
            month.push(m);
            date.push(rules.start.plus(m).month_end_epoch_days());
            name.push(rep.id.name.as_str());
            grain.push(if rep.grain == Grain::Month { "month" } else { "year" });
            val.push(opt(x));
        }
    }
    let mut fields = vec![
        Field::new("month", DataType::UInt32, false),
        Field::new("date", DataType::Date32, false),
    ];
    fields.extend(series_fields());
    fields.extend([
        Field::new("grain", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
    ]);
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(month)),
        Arc::new(Date32Array::from(date)),
        Arc::new(StringArray::from(name.clone())),
    ];
    cols.extend(split_columns(&name));
    cols.push(Arc::new(StringArray::from(grain)));
    cols.push(Arc::new(Float64Array::from(val)));
    parquet_bytes(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

/// A run's tables (`careersim::output::run_files`) and its report, computed
/// side by side on the pool (the report needs only the tables' names and
/// the manifest).
pub fn run_files_with_report(
    rules: &Rules,
    h: &History,
    m: &careersim::output::Manifest,
) -> Result<Vec<(String, Vec<u8>)>> {
    let manifest: serde_json::Value =
        serde_json::from_str(&careersim::output::manifest_json(rules, m)).unwrap_or(serde_json::Value::Null);
    let names: Vec<String> = careersim::output::RUN_FILES.iter().map(|n| n.to_string()).collect();
    let (files, report) = rayon::join(
        || careersim::output::run_files(rules, h, m),
        || run_report_files(rules, h, &manifest, &names),
    );
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(n, c)| (n.to_string(), c.into_bytes()))
        .collect();
    out.extend(report?);
    Ok(out)
}

/// A run's report: monthly.parquet (the stocks of monthly.csv) and
/// series.parquet (the main series by month, see [`run_series`]); plots of
/// headcount and FTE by group, LTFT share of trainees, leaver rates and
/// vacancies over time (SVG and PNG); and report.html, which links them and
/// `other_files` (the run's other outputs) and shows `manifest`'s facts.
pub fn run_report_files(
    rules: &Rules,
    h: &History,
    manifest: &serde_json::Value,
    other_files: &[String],
) -> Result<Vec<(String, Vec<u8>)>> {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    let series = run_series(rules);
    let values = run_values(rules, h, &series);
    let mut files = vec![
        ("monthly.parquet".to_string(), monthly_parquet(rules, h)?),
        ("series.parquet".to_string(), series_parquet(rules, &values)?),
    ];
    let end = rules.start.plus(h.records.last().map_or(0, |r| r.month));
    let get = |name: &str| {
        values
            .iter()
            .find(|(r, _)| r.id.name == name)
            .map(|(_, v)| v.as_slice())
    };
    let at = |name: &str, month: u32| get(name).and_then(|v| v.iter().find(|p| p.0 == month)).map(|p| p.1);
    let last_month = h.records.last().map_or(0, |r| r.month);

    // Charts: one line per group.
    let mut plots = Vec::new();
    let charts: [(&str, &str, &str, Unit, &str); 6] = [
        (
            "headcount",
            "headcount in NHS employment by staff group",
            "headcount",
            Unit::Count,
            "headcount",
        ),
        ("fte", "FTE in post by staff group", "fte", Unit::Count, "FTE"),
        (
            "share.ltft",
            "LTFT share of trainees by staff group",
            "ltft_share",
            Unit::Share,
            "% of trainees",
        ),
        (
            "rate.leaver",
            "leaver rate by staff group (the twelve months to each month)",
            "leaver_rate",
            Unit::Share,
            "% of staff a year",
        ),
        (
            "vacancies",
            "vacancies by staff group (FTE short of the funded establishment)",
            "vacancies",
            Unit::Count,
            "FTE",
        ),
        (
            "rate.vacancy",
            "vacancy rate by staff group",
            "vacancy_rate",
            Unit::Share,
            "% of funded FTE",
        ),
    ];
    for (measure, title, file, unit, word) in charts {
        let mut lines: Vec<Line> = rules
            .groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let v = get(&format!("{measure}.{}", g.name))?;
                Some(Line {
                    name: g.name.clone(),
                    color: i,
                    pts: v
                        .iter()
                        .map(|&(m, x)| (year_of(rules.start.plus(m)), f64::NAN, x, f64::NAN))
                        .collect(),
                })
            })
            .filter(|l| l.pts.iter().any(|p| p.2.is_finite() && p.2 != 0.0))
            .collect();
        if measure == "share.ltft"
            && lines.len() > 1
            && let Some(v) = get("share.ltft.in_training")
        {
            lines.push(Line {
                name: "all trainees".into(),
                color: rules.groups.len(),
                pts: v
                    .iter()
                    .map(|&(m, x)| (year_of(rules.start.plus(m)), f64::NAN, x, f64::NAN))
                    .collect(),
            });
        }
        if lines.is_empty() {
            continue;
        }
        let what = (unit, false, word);
        files.extend(both(file, &|r| time_chart(r, title, what, &lines, &[]), &|r| {
            time_chart(r, title, what, &lines, &[])
        })?);
        plots.push((file.to_string(), title.to_string()));
    }

    // Costs: spend by category and total spend by staff group.
    if let Some(cost) = &rules.cost {
        let base = cost.price_base_year;
        let series_line = |name: &str, color: usize, series: &str| {
            get(series).map(|v| Line {
                name: name.to_string(),
                color,
                pts: v
                    .iter()
                    .map(|&(m, x)| (year_of(rules.start.plus(m)), f64::NAN, x / 1e6, f64::NAN))
                    .collect(),
            })
        };
        let by_category: Vec<Line> = RUN_COST_CATEGORIES
            .iter()
            .enumerate()
            .filter_map(|(i, m)| series_line(&m[5..], i, &format!("{m}.all")))
            .filter(|l| l.pts.iter().any(|p| p.2.is_finite() && p.2 != 0.0))
            .collect();
        let by_group: Vec<Line> = rules
            .groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| series_line(&g.name, i, &format!("cost.total.{}", g.name)))
            .filter(|l| l.pts.iter().any(|p| p.2.is_finite() && p.2 != 0.0))
            .collect();
        for (file, title, lines) in [
            (
                "spend_by_category",
                format!(
                    "spend by category, all staff (GBP million a year to each month; {base}/{:02} prices from {base})",
                    (base + 1) % 100
                ),
                by_category,
            ),
            (
                "spend_by_group",
                format!(
                    "total spend by staff group (GBP million a year to each month; {base}/{:02} prices from {base})",
                    (base + 1) % 100
                ),
                by_group,
            ),
        ] {
            if lines.is_empty() {
                continue;
            }
            let what = (Unit::Count, false, "GBP million a year");
            files.extend(both(file, &|r| time_chart(r, &title, what, &lines, &[]), &|r| {
                time_chart(r, &title, what, &lines, &[])
            })?);
            plots.push((file.to_string(), title));
        }
    }

    // Specialties: consultants and trainees by specialty, and each
    // specialty's consultants by region.
    let mut specialty_plots = Vec::new();
    if !rules.specialties.is_empty() {
        let line = |name: &str, color: usize, series: &str| {
            get(series).map(|v| Line {
                name: name.to_string(),
                color,
                pts: v
                    .iter()
                    .map(|&(m, x)| (year_of(rules.start.plus(m)), f64::NAN, x, f64::NAN))
                    .collect(),
            })
        };
        // Later curricula are in their specialty's lines.
        let with_consultants: Vec<&String> = rules
            .specialties
            .iter()
            .filter(|(_, p, later_of)| p != "core" && later_of.is_none())
            .map(|(n, _, _)| n)
            .collect();
        // One chart per programme, so that no two lines share a colour.
        let of = |programme: &str| -> Vec<&String> {
            rules
                .specialties
                .iter()
                .filter(|(_, p, later_of)| p == programme && later_of.is_none())
                .map(|(n, _, _)| n)
                .collect()
        };
        let mut charts: Vec<(String, String, Vec<Line>, &str)> = Vec::new();
        for (programme, label) in [
            ("uncoupled", "specialties entered at ST3/ST4 after a core"),
            ("run_through", "run-through specialties"),
        ] {
            let lines: Vec<Line> = of(programme)
                .iter()
                .enumerate()
                .filter_map(|(i, sp)| line(sp, i, &format!("fte.consultant_{sp}")))
                .collect();
            charts.push((
                format!("consultants_{programme}"),
                format!("consultant FTE by specialty: {label}"),
                lines,
                "FTE",
            ));
        }
        for (programme, label) in [
            ("core", "core programmes"),
            ("uncoupled", "higher training after a core"),
            ("run_through", "run-through training"),
        ] {
            let lines: Vec<Line> = of(programme)
                .iter()
                .enumerate()
                .filter_map(|(i, sp)| line(sp, i, &format!("headcount.trainee_{sp}")))
                .collect();
            charts.push((
                format!("trainees_{programme}"),
                format!("trainees (headcount): {label}"),
                lines,
                "headcount",
            ));
        }
        for sp in &with_consultants {
            let lines: Vec<Line> = rules
                .reporting_regions()
                .iter()
                .enumerate()
                .filter_map(|(i, r)| line(r, i, &format!("fte.consultant_{sp}@{r}")))
                .collect();
            charts.push((
                format!("consultants_{sp}_by_region"),
                format!("{sp}: consultant FTE by region"),
                lines,
                "FTE",
            ));
        }
        for (file, title, lines, word) in charts {
            if lines.is_empty() {
                continue;
            }
            let what = (Unit::Count, false, word);
            files.extend(both(&file, &|r| time_chart(r, &title, what, &lines, &[]), &|r| {
                time_chart(r, &title, what, &lines, &[])
            })?);
            specialty_plots.push((file, title));
        }
    }

    // Nursing fields: FTE by field, learning disability and mental health
    // against their base year, and the routes into nursing.
    let mut field_plots = Vec::new();
    if !rules.nursing_fields.is_empty() {
        let base_month = (0..h.records.len())
            .find(|&m| {
                let d = rules.start.plus(h.records[m].month);
                (d.year, d.month) >= FIELD_BASE
            })
            .unwrap_or(0);
        let base = rules.start.plus(h.records[base_month].month);
        let pts = |v: &[(u32, f64)], scale: f64| -> Vec<(f64, f64, f64, f64)> {
            v.iter()
                .map(|&(m, x)| (year_of(rules.start.plus(m)), f64::NAN, x * scale, f64::NAN))
                .collect()
        };
        let by_field: Vec<Line> = rules
            .nursing_fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                get(&format!("fte.nurse_{f}")).map(|v| Line {
                    name: f.replace('_', " "),
                    color: i,
                    pts: pts(v, 1.0),
                })
            })
            .collect();
        let indexed: Vec<Line> = rules
            .nursing_fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let v = get(&format!("fte.nurse_{f}"))?;
                let at_base = v.iter().find(|p| p.0 == h.records[base_month].month)?.1;
                (at_base > 0.0).then(|| Line {
                    name: f.replace('_', " "),
                    color: i,
                    pts: pts(v, 100.0 / at_base),
                })
            })
            .collect();
        let routes: Vec<Line> = routes_into_nursing(rules)
            .iter()
            .enumerate()
            .filter_map(|(i, &g)| {
                let name = &rules.grades[g as usize].name;
                get(&format!("fte.{name}")).map(|v| Line {
                    name: name.replace('_', " "),
                    color: i,
                    pts: pts(v, 1.0),
                })
            })
            .collect();
        let base_title = format!("nurse FTE by field, {base} = 100");
        for (file, title, lines, what) in [
            (
                "nurses_by_field",
                "registered nurse FTE by field".to_string(),
                by_field,
                (Unit::Count, false, "FTE"),
            ),
            (
                "nurses_by_field_vs_base",
                base_title,
                indexed,
                (Unit::Count, false, "index"),
            ),
            (
                "routes_into_nursing",
                "nursing associates and apprentices: FTE".to_string(),
                routes,
                (Unit::Count, false, "FTE"),
            ),
        ] {
            if lines.is_empty() {
                continue;
            }
            files.extend(both(file, &|r| time_chart(r, &title, what, &lines, &[]), &|r| {
                time_chart(r, &title, what, &lines, &[])
            })?);
            field_plots.push((file.to_string(), title));
        }
    }

    // report.html
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>careersim run: {}</title>\n<style>{CSS}</style></head><body>\n<h1>careersim run: {}</h1>\n<p>From {} to {end} ({} months), one run. Headcount counts clinicians in NHS employment (in training, less than full time, qualified, returning) at the month end; students, paused trainees and leavers are not counted. Rates and leavers are over the twelve months to the date. Counts are scaled back to the population (population scale {}).</p>\n",
        html_escape(&rules.name),
        html_escape(&rules.name),
        rules.start,
        last_month,
        rules.population_scale
    );
    if let serde_json::Value::Object(m) = manifest {
        s.push_str("<h2>Run</h2>\n<table>\n");
        for (k, v) in m {
            let text = match v {
                serde_json::Value::String(x) => x.clone(),
                serde_json::Value::Array(a) if a.is_empty() => "none".into(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(", "),
                serde_json::Value::Number(n) if k.ends_with("seconds") => {
                    format!("{:.1}", n.as_f64().unwrap_or(f64::NAN))
                }
                serde_json::Value::Number(n) if !k.contains("seed") && n.as_u64().is_some_and(|x| x >= 10_000) => {
                    thousands(n.as_f64().unwrap_or(f64::NAN), 0)
                }
                other => other.to_string(),
            };
            let _ = writeln!(
                s,
                "<tr><th>{}</th><td class=\"text\">{}</td></tr>",
                html_escape(k),
                html_escape(&text)
            );
        }
        s.push_str("</table>\n");
    }
    let d0 = rules.start;
    let _ = write!(
        s,
        "<h2>By staff group</h2>\n<table><tr><th>group</th><th>headcount<br><span>{d0}</span></th><th>headcount<br><span>{end}</span></th><th>FTE<br><span>{d0}</span></th><th>FTE<br><span>{end}</span></th><th>LTFT share of trainees<br><span>{end}</span></th><th>leavers<br><span>year to {end}</span></th><th>leaver rate<br><span>year to {end}</span></th><th>vacancies (FTE)<br><span>{end}</span></th><th>vacancy rate<br><span>{end}</span></th></tr>\n"
    );
    for g in &rules.groups {
        let v = |m: &str, month: u32, unit: Unit| {
            at(&format!("{m}.{}", g.name), month).map_or("–".to_string(), |x| show(unit, x, false))
        };
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(&g.name),
            v("headcount", 0, Unit::Count),
            v("headcount", last_month, Unit::Count),
            v("fte", 0, Unit::Count),
            v("fte", last_month, Unit::Count),
            v("share.ltft", last_month, Unit::Share),
            v("count.leavers", last_month, Unit::Count),
            v("rate.leaver", last_month, Unit::Share),
            v("vacancies", last_month, Unit::Count),
            v("rate.vacancy", last_month, Unit::Share),
        );
    }
    let total = |m: &str, month: u32, unit: Unit| at(m, month).map_or("–".to_string(), |x| show(unit, x, false));
    let _ = writeln!(
        s,
        "<tr><th>all</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th><th></th><th></th></tr>\n</table>",
        total("headcount.all", 0, Unit::Count),
        total("headcount.all", last_month, Unit::Count),
        total("fte.all", 0, Unit::Count),
        total("fte.all", last_month, Unit::Count),
        total("share.ltft.in_training", last_month, Unit::Share),
        total("count.leavers.all", last_month, Unit::Count),
    );
    s.push_str("<h2>Over time</h2>\n");
    for (file, title) in &plots {
        let _ = writeln!(
            s,
            "<figure><img src=\"plots/{file}.svg\" alt=\"{}\" width=\"960\" height=\"540\"><figcaption><a href=\"plots/{file}.png\">PNG</a></figcaption></figure>",
            html_escape(title)
        );
    }
    if !specialty_plots.is_empty() {
        let _ = writeln!(
            s,
            "<h2>Medical specialties</h2>\n<p>Consultants and trainees of each specialty (<code>[[specialty]]</code> in the config); general practice is in the staff-group charts. Fill rates by specialty are in series.parquet (<code>rate.fill.&lt;scheme&gt;</code>).</p>"
        );
        for (file, title) in &specialty_plots {
            let _ = writeln!(
                s,
                "<figure><img src=\"plots/{file}.svg\" alt=\"{}\" width=\"960\" height=\"540\"><figcaption><a href=\"plots/{file}.png\">PNG</a></figcaption></figure>",
                html_escape(title)
            );
        }
    }
    if !field_plots.is_empty() {
        let _ = writeln!(
            s,
            "<h2>Nursing fields and nursing associates</h2>\n<p>Registered nurses by field (<code>[[nursing_field]]</code>; series <code>fte.nurse_&lt;field&gt;</code>), each field against its base year (the NHS People Plan measures learning disability and mental health nursing growth against 2021/22), and the routes into nursing from other staff groups.</p>"
        );
        for (file, title) in &field_plots {
            let _ = writeln!(
                s,
                "<figure><img src=\"plots/{file}.svg\" alt=\"{}\" width=\"960\" height=\"540\"><figcaption><a href=\"plots/{file}.png\">PNG</a></figcaption></figure>",
                html_escape(title)
            );
        }
    }
    s.push_str(&ics_table(rules, h));
    s.push_str("<h2>Tables</h2>\n<p>Dates are the last day of the month.</p>\n<ul>\n<li><a href=\"monthly.parquet\">monthly.parquet</a>: month, date (a date), group, grade, state, region, headcount, fte — the stocks of every month</li>\n<li><a href=\"series.parquet\">series.parquet</a>: month, date (a date), series, measure, scope, region (empty: England), grain (<code>month</code>: the month-end stock; <code>year</code>: the twelve months to the date), value — the series of these plots and more, by month</li>\n");
    let describe = |f: &str| match f {
        "monthly.csv" => "the stocks of every month, as text",
        "flows.csv" => "moves between grades and states, by month",
        "kpis.csv" => "key indicators by month",
        "distributions.csv" => "durations: time to CCT, pause length, time to return",
        "manifest.json" => "config, seed, overrides, timings",
        _ => "",
    };
    for f in other_files {
        let _ = writeln!(
            s,
            "<li><a href=\"{}\">{}</a>{}</li>",
            html_escape(f),
            html_escape(f),
            match describe(f) {
                "" => String::new(),
                d => format!(": {d}"),
            }
        );
    }
    s.push_str("</ul>\n</body></html>\n");
    files.push(("report.html".into(), s.into_bytes()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, Write};
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use arrow_array::Array;
    use careersim::config::ConfigSource;
    use careersim::ensemble::{reported_series, run_ensemble, tables};
    use careersim::scenario::{baseline_rules, parse_scenario};

    fn small() -> ConfigSource {
        ConfigSource::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid_small.toml")).unwrap()
    }

    /// Every numeric attribute of every element of an SVG: no NaN or
    /// infinite value anywhere, and no negative size or position.
    fn assert_svg_sane(file: &str, svg: &str) {
        let mut checked = 0;
        for tag in svg.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or("");
            let mut rest = tag;
            while let Some(eq) = rest.find("=\"") {
                let name = rest[..eq].rsplit([' ', '\n', '\t']).next().unwrap_or("");
                let after = &rest[eq + 2..];
                let end = after.find('"').unwrap_or(after.len());
                let value = &after[..end];
                rest = &after[(end + 1).min(after.len())..];
                let lower = value.to_ascii_lowercase();
                assert!(
                    !lower.contains("nan") && !lower.contains("inf"),
                    "{file}: {name}=\"{value}\" in <{tag}>"
                );
                if matches!(
                    name,
                    "width" | "height" | "x" | "y" | "x1" | "x2" | "y1" | "y2" | "cx" | "cy" | "r"
                ) {
                    let v: f64 = value
                        .trim_end_matches("px")
                        .parse()
                        .unwrap_or_else(|_| panic!("{file}: {name}=\"{value}\" is not a number"));
                    assert!(v.is_finite() && v >= 0.0, "{file}: {name}=\"{value}\" in <{tag}>");
                    checked += 1;
                }
                if name == "points" || name == "d" {
                    for n in value.split([' ', ',']).filter(|n| !n.is_empty()) {
                        let n = n.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                        if let Ok(v) = n.parse::<f64>() {
                            assert!(v.is_finite(), "{file}: {name} holds {n}");
                        }
                    }
                }
            }
        }
        assert!(checked > 10, "{file}: only {checked} sizes checked");
    }

    fn assert_all_svgs_sane(files: &[(String, Vec<u8>)]) -> usize {
        let mut n = 0;
        for (name, bytes) in files.iter().filter(|f| f.0.ends_with(".svg")) {
            assert_svg_sane(name, std::str::from_utf8(bytes).unwrap());
            n += 1;
        }
        n
    }

    /// Arrow schema and rows of Parquet bytes, read back with the parquet crate.
    fn read_parquet(bytes: &[u8]) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f.rewind().unwrap();
        let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        let schema = builder.schema().clone();
        let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
        (schema, batches)
    }

    fn assert_tidy_schema(file: &str, bytes: &[u8]) {
        let (schema, batches) = read_parquet(bytes);
        assert_eq!(
            schema.field_with_name("date").unwrap().data_type(),
            &DataType::Date32,
            "{file}"
        );
        for c in ["series", "measure", "scope", "region"] {
            assert_eq!(
                schema.field_with_name(c).unwrap().data_type(),
                &DataType::Utf8,
                "{file}: {c}"
            );
        }
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert!(rows > 0, "{file} is empty");
        // measure.scope@region gives back the series.
        for b in &batches {
            let col = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap()
                    .clone()
            };
            let (series, measure, scope, region) = (col("series"), col("measure"), col("scope"), col("region"));
            for i in 0..b.num_rows() {
                let mut joined = format!("{}.{}", measure.value(i), scope.value(i));
                if !region.is_null(i) {
                    joined = format!("{joined}@{}", region.value(i));
                }
                assert_eq!(joined, series.value(i), "{file} row {i}");
            }
        }
    }

    fn ensemble_report(scenarios: &[&str]) -> Vec<(String, Vec<u8>)> {
        let src = small();
        let mut all = vec![Scenario::baseline()];
        all.extend(
            scenarios
                .iter()
                .map(|t| parse_scenario("t.toml", t, &src, &[]).unwrap()),
        );
        let spec = EnsembleSpec {
            config: &src,
            base: Vec::new(),
            scenarios: all,
            replicates: 2,
            seed: 3,
            months: 30,
            branch: None,
            posterior: None,
            from_snapshot: None,
        };
        let rules = baseline_rules(&src, &[], 30).unwrap();
        let series = reported_series(&rules);
        let runs = run_ensemble(&spec, &series, &careersim::work::Threads, &|| {}).unwrap();
        let (summary, difference) = tables(&spec, &rules, &series, &runs);
        let effects = careersim::ensemble::cost_effectiveness(&spec, &rules, &series, &runs);
        render(&spec, &rules, &summary, &difference, &runs, &series, &effects).unwrap()
    }

    const LEAVING: &str =
        "name = \"retain\"\n[[lever]]\nfrom = \"2021-01\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = 0.5 }\n";
    const LTFT: &str =
        "name = \"ltft\"\n[[lever]]\nfrom = \"2021-06\"\nscale = { \"hazard.ltft_uptake.monthly_prob\" = 3.0 }\n";
    const BOTH: &str = "name = \"a_long_scenario_name_that_goes_on_and_on\"\n[[lever]]\nfrom = \"2021-03\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = 2.0, \"hazard.ltft_uptake.monthly_prob\" = 0.2 }\n";

    /// Reports for one scenario (bars used to get a negative height) and for
    /// several: every SVG parses with no negative or NaN size or position,
    /// every bar chart draws a bar, lever starts are marked, and the
    /// levers' series lead the effects table.
    #[test]
    fn scenario_report_svgs_have_no_negative_or_nan_sizes() {
        for set in [vec![LEAVING], vec![LEAVING, LTFT, BOTH]] {
            let files = ensemble_report(&set);
            let svgs = assert_all_svgs_sane(&files);
            assert!(svgs > 5, "{svgs} SVGs");
            let svg = |f: &str| {
                String::from_utf8(
                    files
                        .iter()
                        .find(|x| x.0 == f)
                        .unwrap_or_else(|| panic!("no {f}"))
                        .1
                        .clone(),
                )
                .unwrap()
            };
            // Bars: a filled rectangle per scenario and date, of real height.
            let bars = svg("plots/diff_rate_leaver_nurse.svg");
            assert!(bars.matches("<rect").count() > set.len(), "{bars}");
            assert!(svg("plots/fan_fte_nurse.svg").contains("lever from 2021-01"));
            let html = svg("report.html");
            let acted = html.split("Series the scenarios").nth(1).unwrap();
            let table = acted.split("</table>").next().unwrap();
            let (acted, other) = table.split_once("Other key series").unwrap_or((table, ""));
            assert!(acted.contains("nurse: leaver rate"), "{acted}");
            assert!(!other.contains("nurse: leaver rate"));
            assert!(html.contains("first year<br>"), "first-year column");
            for (name, bytes) in files.iter().filter(|f| f.0.ends_with(".parquet")) {
                assert_tidy_schema(name, bytes);
            }
        }
    }

    /// A run's report: plots of headcount, FTE, LTFT share, leaver rates
    /// (and vacancies where there is an establishment) that parse clean,
    /// Parquet with typed dates and split series names, and a page that
    /// links only files that exist.
    #[test]
    fn run_report_plots_parquet_and_links() {
        let rules = Arc::new(careersim::load_rules(&small(), &["model.months=30".to_string()]).unwrap());
        let mut sim = careersim::Simulation::new(rules.clone(), 5, None);
        for _ in 0..30 {
            sim.step_month();
        }
        let h = sim.take_history();
        let manifest = serde_json::json!({ "seed": 5, "overrides": ["model.months=30"] });
        let others = vec!["monthly.csv".to_string(), "manifest.json".to_string()];
        let files = run_report_files(&rules, &h, &manifest, &others).unwrap();
        for p in ["headcount", "fte", "ltft_share", "leaver_rate"] {
            assert!(files.iter().any(|f| f.0 == format!("plots/{p}.svg")), "{p}");
            assert!(files.iter().any(|f| f.0 == format!("plots/{p}.png")), "{p}");
        }
        assert!(assert_all_svgs_sane(&files) >= 4);
        assert_tidy_schema(
            "series.parquet",
            &files.iter().find(|f| f.0 == "series.parquet").unwrap().1,
        );
        let (schema, batches) = read_parquet(&files.iter().find(|f| f.0 == "monthly.parquet").unwrap().1);
        assert_eq!(schema.field_with_name("date").unwrap().data_type(), &DataType::Date32);
        let dates = batches[0]
            .column_by_name("date")
            .unwrap()
            .as_any()
            .downcast_ref::<Date32Array>()
            .unwrap()
            .clone();
        assert_eq!(dates.value(0), rules.start.month_end_epoch_days());
        let html = String::from_utf8(files.iter().find(|f| f.0 == "report.html").unwrap().1.clone()).unwrap();
        for link in html.split("href=\"").skip(1).map(|p| p.split('"').next().unwrap()) {
            assert!(
                files.iter().any(|f| f.0 == link) || others.iter().any(|o| o == link),
                "{link} is linked but not written"
            );
        }
    }

    /// Files of a cookbook example that results/examples/run_examples.sh
    /// makes again and .gitignore leaves out of the repository (README,
    /// "Cookbook"): a checked-in report may link them before the script runs.
    fn made_again_by_the_cookbook_script(link: &str) -> bool {
        matches!(
            link,
            "summary.csv" | "summary.parquet" | "difference.csv" | "runs.parquet"
        ) || (link.starts_with("plots/") && link.ends_with(".png"))
    }

    /// The checked-in examples (README, "Cookbook"): every SVG is sane and
    /// every link of every report.html names a file that is checked in or
    /// that the cookbook script makes again (runs.csv is git-ignored and
    /// never made for a report, so it must not be linked).
    #[test]
    fn checked_in_examples_have_sane_svgs_and_no_dead_links() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/examples");
        let mut reports = 0;
        for dir in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
            if !dir.join("report.html").exists() {
                continue;
            }
            reports += 1;
            for svg in std::fs::read_dir(dir.join("plots")).unwrap().map(|e| e.unwrap().path()) {
                if svg.extension().is_some_and(|e| e == "svg") {
                    assert_svg_sane(&svg.display().to_string(), &std::fs::read_to_string(&svg).unwrap());
                }
            }
            let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
            for link in html.split("href=\"").skip(1).map(|p| p.split('"').next().unwrap()) {
                assert!(link != "runs.csv", "{}: links the git-ignored runs.csv", dir.display());
                assert!(
                    dir.join(link).exists() || made_again_by_the_cookbook_script(link),
                    "{}: {link} is linked but missing",
                    dir.display()
                );
            }
            for src in html.split("src=\"").skip(1).map(|p| p.split('"').next().unwrap()) {
                assert!(dir.join(src).exists(), "{}: {src} is shown but missing", dir.display());
            }
        }
        assert!(reports >= 9, "{reports} example reports");
    }

    #[test]
    fn values_are_rounded_to_what_they_mean() {
        assert_eq!(csv_value(Unit::Count, -38137.39999999998), "-38137");
        assert_eq!(csv_value(Unit::Count, -0.2), "0");
        assert_eq!(csv_value(Unit::Share, 0.0123456), "0.01235");
        assert_eq!(csv_value(Unit::Share, 0.1), "0.1");
        assert_eq!(csv_value(Unit::Months, 83.4567), "83.46");
        assert_eq!(csv_value(Unit::Share, f64::NAN), "");
        assert_eq!(thousands(1234567.4, 0), "1,234,567");
        assert_eq!(thousands(-999.6, 0), "-1,000");
        assert_eq!(thousands(-0.2, 0), "0");
        assert_eq!(show(Unit::Count, 712.0, false), "712");
        assert_eq!(show(Unit::Count, 38137.4, true), "+38,137");
        assert_eq!(show(Unit::Share, 0.058, false), "5.8%");
        assert_eq!(show(Unit::Share, 0.0104, true), "+1.04 pp");
        assert_eq!(show(Unit::Months, -0.04, true), "0.0");
        assert_eq!(label("rate.leaver.nurse"), "nurse: leaver rate (a year)");
        assert_eq!(label("fte.gp@london"), "gp: FTE in post, london");
        assert_eq!(label("fte.pa_aa@north_west"), "pa_aa: FTE in post, north west");
    }
}
