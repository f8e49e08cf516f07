"""Stage "patterns": gravity centre and ellipse, association network, clubs, LISA time paths,
geodetector.

Each part calls the public API and shows its result frames unchanged (rounded):

* :func:`spatialnqpf.patterns.gravity_centre` and :func:`~spatialnqpf.patterns.std_ellipse`
  of the variable by year (capitals projected to :data:`spatialnqpf.patterns.CHINA_CRS`),
  on by default (``[patterns] centre``);
* :func:`spatialnqpf.network.gravity_network`, :func:`~spatialnqpf.network.metrics` and
  :func:`~spatialnqpf.network.block_model` (CONCOR, last year) when ``[patterns]
  population`` names a population column (the bundled demo has none: the part is skipped
  and the reason stated);
* :func:`spatialnqpf.dynamics.club_convergence` (Phillips--Sul log t test, clubs and
  merging), on by default (``[patterns] clubs``);
* :func:`spatialnqpf.patterns.lisa_paths` (LISA time paths of Rey, Murray & Anselin 2011
  and space--time transitions of Rey 2001), on by default (``[patterns] lisa_paths``):
  path length, relative length and tortuosity by region and overall with the direction
  sectors, the five longest and most tortuous paths, the Type 0/I/II/III counts and
  shares with the space--time cohesion (share of Type 0) and flux (1 − cohesion), the
  types by period, and the Rose diagram test of the first→last moves (8 sectors, 999
  permutations from the keyed stream ``as_generator(seed, "patterns-lisa-paths")``).  The
  weights are the first matrix of the weights stage (as the dynamics stage's spatial
  Markov chain), row-standardised; without the weights stage (``spatialnqpf patterns``)
  the contiguity of ``[weights]`` is built here;
* :func:`spatialnqpf.patterns.geodetector` of the variable when ``[patterns] factors`` are
  given (one detector per year of ``geodetector_years``, default the last year).

A part that cannot run (no coordinates for the ids, a network without ties, a factor that
cannot be discretised) is left out with its reason in the notes and the stage status is
``"warning"``; the other parts are still shown.  Cost on the demo panel (31 provinces,
11 years): about 0.1 s for the centre, ellipse and clubs without figures; about 0.1 s for
the LISA time paths with the 999 Rose permutations (0.3 s when it builds the contiguity
itself), 0.6 s more for its two figures (PNG and SVG); the geodetector
with OPGD over three factors adds about 0.3 s per year; the network about 0.1 s per year.
The MRQAP regression of the last year's network (``[patterns] qap_permutations`` > 0) is
opt-in: its cost grows with the permutations (about 1 s for 999 with three regressors on 31
provinces; the contiguity of the weights stage is reused, else built: 2 s for the shapes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import dynamics, network, patterns
from ..._validation import SpatialNQPFError
from ..tables import frame_table
from ._base import Stage, StageOutput, State, pct

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "空间格局：重心迁移、标准差椭圆、空间关联网络、俱乐部收敛、LISA 时间路径与地理探测器",
              "en": "Spatial patterns: gravity centre, ellipse, association network, clubs, "
                    "LISA time paths, geodetector"},
    "help": {"zh": "重心与标准差椭圆、空间关联网络、俱乐部收敛、LISA 时间路径、地理探测器（先运行指数阶段）",
             "en": "gravity centre and ellipse, association network, club convergence, "
                   "LISA time paths, geodetector (runs the index first)"},
    # --- centre and ellipse
    "year": {"zh": "年份", "en": "Year"},
    "lon": {"zh": "重心经度", "en": "Centre lon"},
    "lat": {"zh": "重心纬度", "en": "Centre lat"},
    "distance_km": {"zh": "移动距离 (km)", "en": "Move (km)"},
    "direction_deg": {"zh": "移动方向 (°)", "en": "Direction (°)"},
    "sigma_x_km": {"zh": "短半轴 σx (km)", "en": "Minor axis σx (km)"},
    "sigma_y_km": {"zh": "长半轴 σy (km)", "en": "Major axis σy (km)"},
    "rotation_deg": {"zh": "转角 θ (°)", "en": "Rotation θ (°)"},
    "area_km2": {"zh": "面积 (万 km²)", "en": "Area (10⁴ km²)"},
    "shape_index": {"zh": "形状指数 σx/σy", "en": "Shape σx/σy"},
    "centre_title": {"zh": "{v}的重心迁移与标准差椭圆参数",
                     "en": "Gravity centre and standard deviational ellipse of the {v}"},
    "centre_note": {"zh": "各省份位于省会，经 Albers 等积投影（中央经线 105°，标准纬线 25° 与 47°，WGS84）"
                          "在平面上计算；重心经纬度为加权平均坐标的反投影；移动距离为与上一年重心的平面距离，"
                          "方向自坐标北顺时针计；椭圆为一倍标准差（{method}）。",
                    "en": "Provinces at their capitals, computed in the Albers equal-area plane "
                          "(lon0 105°, standard parallels 25° and 47°, WGS84); the centre's lon/lat is "
                          "the inverse projection of the weighted mean coordinates; the move is the "
                          "planar distance from the previous year's centre, its direction clockwise "
                          "from grid north; one-standard-deviation ellipse ({method})."},
    "method_arcgis": {"zh": "ArcGIS 方向分布，√2 倍", "en": "ArcGIS Directional Distribution, √2"},
    "method_crimestat": {"zh": "CrimeStat，√(2n/(n−2)) 倍", "en": "CrimeStat, √(2n/(n−2))"},
    "method_plain": {"zh": "不乘 √2", "en": "no √2 factor"},
    "centre_reading": {"zh": "{first}—{last} 年{v}重心累计移动 {path:.1f} km，净位移 {net:.1f} km，"
                             "总体向{dir}方向移动（{lon0:.2f}°E, {lat0:.2f}°N → {lon1:.2f}°E, {lat1:.2f}°N）。",
                       "en": "From {first} to {last} the centre of the {v} travelled {path:.1f} km in all, "
                             "a net {net:.1f} km towards the {dir} ({lon0:.2f}°E, {lat0:.2f}°N → "
                             "{lon1:.2f}°E, {lat1:.2f}°N)."},
    "ellipse_reading": {"zh": "标准差椭圆面积从 {a0:.1f} 万 km² {chg}到 {a1:.1f} 万 km²（{pc}），"
                              "空间分布{what}；长轴转角由 {r0:.1f}° 变为 {r1:.1f}°，形状指数为 {s1:.3f}。",
                        "en": "The ellipse's area {chg} from {a0:.1f} to {a1:.1f} × 10⁴ km² ({pc}): "
                              "the distribution {what}; the major axis turned from {r0:.1f}° to "
                              "{r1:.1f}° and the shape index is {s1:.3f}."},
    "grew": {"zh": "扩大", "en": "grew"},
    "shrank": {"zh": "缩小", "en": "shrank"},
    "dispersed": {"zh": "趋于分散", "en": "became more dispersed"},
    "concentrated": {"zh": "趋于集聚", "en": "became more concentrated"},
    "ellipse_fig": {"zh": "标准差椭圆与重心迁移轨迹", "en": "Standard deviational ellipses and the centre's path"},
    "centre_path": {"zh": "重心", "en": "centre"},
    "years_absent": {"zh": "椭圆图年份 {years} 不在数据中，未绘制。",
                     "en": "Ellipse map years {years} are not in the data and are not drawn."},
    # compass sectors (bearing clockwise from north)
    "dir0": {"zh": "北", "en": "north"}, "dir1": {"zh": "东北", "en": "north-east"},
    "dir2": {"zh": "东", "en": "east"}, "dir3": {"zh": "东南", "en": "south-east"},
    "dir4": {"zh": "南", "en": "south"}, "dir5": {"zh": "西南", "en": "south-west"},
    "dir6": {"zh": "西", "en": "west"}, "dir7": {"zh": "西北", "en": "north-west"},
    # --- network
    "no_population": {"zh": "未计算空间关联网络：修正引力模型需要人口列（配置项 [patterns] population = '列名'），"
                            "数据中没有给出（内置演示数据不含人口）。",
                      "en": "The spatial association network is not computed: the modified gravity "
                            "model needs a population column ([patterns] population), which is not "
                            "given (the bundled demo panel has none)."},
    "part_failed": {"zh": "{part}未计算：{why}", "en": "{part} not computed: {why}"},
    "part_centre": {"zh": "重心与标准差椭圆", "en": "Gravity centre and ellipse"},
    "part_network": {"zh": "空间关联网络", "en": "Spatial association network"},
    "part_clubs": {"zh": "俱乐部收敛", "en": "Club convergence"},
    "part_geo": {"zh": "地理探测器", "en": "Geographical detector"},
    "ties": {"zh": "关联关系数", "en": "Ties"},
    "density": {"zh": "网络密度", "en": "Density"},
    "connectedness": {"zh": "关联度", "en": "Connectedness"},
    "hierarchy": {"zh": "等级度", "en": "Hierarchy"},
    "efficiency": {"zh": "网络效率", "en": "Efficiency"},
    "network_title": {"zh": "{v}空间关联网络的整体结构（修正引力模型）",
                      "en": "Structure of the spatial association network of the {v} (modified gravity model)"},
    "network_note": {"zh": "y_ij = k_ij (P_i G_i X_i)^(1/3) (P_j G_j X_j)^(1/3) / (D_ij/(g_i − g_j))²，"
                           "k_ij = X_i/(X_i + X_j)，P 为人口（{pop}），G 为 GDP（{gdp}），g = G/P，"
                           "X 为{v}，D 为省会间球面距离；y_ij 不低于第 i 行均值记为 1。"
                           "关联度、等级度、效率按 Krackhardt (1994)。",
                     "en": "y_ij = k_ij (P_i G_i X_i)^(1/3) (P_j G_j X_j)^(1/3) / (D_ij/(g_i − g_j))², "
                           "k_ij = X_i/(X_i + X_j), P population ({pop}), G GDP ({gdp}), g = G/P, "
                           "X the {v}, D the great-circle distance between capitals; a tie where y_ij "
                           "is at least the mean of row i. Connectedness, hierarchy and efficiency "
                           "as Krackhardt (1994)."},
    "province": {"zh": "省份", "en": "Province"},
    "in_degree": {"zh": "点入度", "en": "In-degree"},
    "out_degree": {"zh": "点出度", "en": "Out-degree"},
    "degree_centrality": {"zh": "度数中心度", "en": "Degree centrality"},
    "closeness_in": {"zh": "接近中心度（入）", "en": "Closeness (in)"},
    "closeness_out": {"zh": "接近中心度（出）", "en": "Closeness (out)"},
    "betweenness": {"zh": "中介中心度", "en": "Betweenness"},
    "centrality_title": {"zh": "{year} 年空间关联网络的个体中心性", "en": "Node centralities of the network, {year}"},
    "network_reading": {"zh": "空间关联网络的关联关系数从 {first} 年的 {l0} 个变为 {last} 年的 {l1} 个，"
                              "网络密度由 {d0:.3f} 变为 {d1:.3f}；{last} 年关联度 {c1:.3f}、等级度 {h1:.3f}、"
                              "网络效率 {e1:.3f}。",
                        "en": "The network had {l0} ties in {first} and {l1} in {last}; its density moved "
                              "from {d0:.3f} to {d1:.3f}; in {last} connectedness is {c1:.3f}, hierarchy "
                              "{h1:.3f} and efficiency {e1:.3f}."},
    "centrality_reading": {"zh": "{last} 年度数中心度最高的省份为{top}，中介中心度最高的为{bt}（{bv:.3f}）。",
                           "en": "In {last} the highest degree centrality is in {top} and the highest "
                                 "betweenness in {bt} ({bv:.3f})."},
    "block": {"zh": "板块", "en": "Block"},
    "n": {"zh": "成员数", "en": "Members"},
    "members": {"zh": "成员", "en": "Provinces"},
    "internal": {"zh": "板块内关系", "en": "Internal ties"},
    "sent_out": {"zh": "溢出关系", "en": "Ties sent out"},
    "received": {"zh": "受益关系", "en": "Ties received"},
    "expected_internal_ratio": {"zh": "期望内部关系比", "en": "Expected internal ratio"},
    "internal_ratio": {"zh": "实际内部关系比", "en": "Actual internal ratio"},
    "role": {"zh": "板块角色", "en": "Role"},
    "blocks_title": {"zh": "{year} 年空间关联网络的 CONCOR 板块划分与角色",
                     "en": "CONCOR blocks of the network and their roles, {year}"},
    "blocks_note": {"zh": "CONCOR 作用于 [A; Aᵀ]（忽略对角线），收敛阈值 0.9999999，分割 {splits} 次（同 R concorR）；"
                          "角色按期望与实际内部关系比及溢出、受益关系数判定。",
                    "en": "CONCOR on [A; Aᵀ] (diagonal ignored), cut-off 0.9999999, {splits} splits "
                          "(as R concorR); roles from the expected and actual internal ratios and "
                          "the ties sent and received."},
    "density_title": {"zh": "{year} 年板块密度矩阵（像矩阵中为 1 的格以 * 标出）",
                      "en": "Block density matrix, {year} (image cells = 1 marked *)"},
    "from": {"zh": "发出板块", "en": "From"},
    "to": {"zh": "接收板块", "en": "to"},
    "role_net spillover": {"zh": "净溢出板块", "en": "net spillover"},
    "role_bilateral spillover": {"zh": "双向溢出板块", "en": "bilateral spillover"},
    "role_broker": {"zh": "经纪人板块", "en": "broker"},
    "role_net beneficiary": {"zh": "净受益板块", "en": "net beneficiary"},
    "blocks_reading": {"zh": "{year} 年 CONCOR 将 {n} 个省份分为 {k} 个板块：{parts}。",
                       "en": "In {year} CONCOR splits the {n} provinces into {k} blocks: {parts}."},
    "block_part": {"zh": "板块 B{b}（{role}，{m} 个）", "en": "block B{b} ({role}, {m})"},
    "network_fig": {"zh": "{year} 年空间关联网络", "en": "Spatial association network, {year}"},
    "block_fig": {"zh": "{year} 年板块密度矩阵与像矩阵", "en": "Block densities and image, {year}"},
    "adjacency": {"zh": "地理邻接", "en": "adjacency"},
    "intercept": {"zh": "常数项", "en": "Intercept"},
    "term": {"zh": "变量", "en": "Term"},
    "qap_estimate": {"zh": "系数", "en": "Coefficient"},
    "qap_statistic": {"zh": "t 值", "en": "t"},
    "qap_p_value": {"zh": "QAP p 值", "en": "QAP p-value"},
    "qap_r": {"zh": "QAP 相关系数", "en": "QAP correlation"},
    "qap_p_r": {"zh": "相关 p 值", "en": "p (correlation)"},
    "qap_title": {"zh": "{year} 年空间关联网络的 QAP 回归", "en": "QAP regression of the network, {year}"},
    "qap_note": {"zh": "因变量为 0/1 关联矩阵，自变量为地理邻接矩阵与各因子之差的绝对值矩阵；"
                       "OLS 含常数项，共 {cells} 个非对角格，R² = {r2:.4f}；p 值由 {n} 次行列同时置换得到"
                       "（Dekker 半偏置换，同 R sna::netlm 的 qapspp；种子 {seed}）。",
                 "en": "Dependent: the 0/1 network; regressors: geographic adjacency and the "
                       "absolute differences of the factors; OLS with intercept over {cells} "
                       "off-diagonal cells, R² = {r2:.4f}; p-values from {n} simultaneous row/column "
                       "permutations (Dekker semi-partialling, as R sna::netlm qapspp; seed {seed})."},
    "qap_reading": {"zh": "{year} 年 QAP 回归的 R² 为 {r2:.3f}；在 5% 水平上显著的变量：{sig}。",
                    "en": "The {year} QAP regression has R² = {r2:.3f}; significant at 5%: {sig}."},
    "qap_none": {"zh": "无", "en": "none"},
    "qap_part": {"zh": "QAP 回归", "en": "QAP regression"},
    # --- clubs
    "club": {"zh": "俱乐部", "en": "Club"},
    "beta": {"zh": "系数 b", "en": "b"},
    "std_error": {"zh": "标准误", "en": "Std. error"},
    "t": {"zh": "t 值", "en": "t"},
    "panel_row": {"zh": "全样本", "en": "Full panel"},
    "initial_row": {"zh": "初始俱乐部 {k}", "en": "Initial club {k}"},
    "merged_row": {"zh": "合并俱乐部 {k}", "en": "Merged club {k}"},
    "divergent_row": {"zh": "发散组", "en": "Divergent"},
    "clubs_title": {"zh": "{v}的俱乐部收敛检验（Phillips–Sul log t）",
                    "en": "Club convergence of the {v} (Phillips–Sul log t test)"},
    "clubs_note": {"zh": "回归 log(H₁/H_t) − 2 log log t = a + b log t，t 自 [T/3]+1 起（[·] 为四舍五入取整）；HAC 标准误（同 R "
                         "ConvergenceClubs）；t > −1.65 时不拒绝收敛。数据{filt}；合并规则：{merge}。",
                   "en": "log(H₁/H_t) − 2 log log t = a + b log t for t from round(T/3)+1; HAC standard "
                         "errors (as R ConvergenceClubs); convergence is not rejected when t > −1.65. "
                         "Values {filt}; merging: {merge}."},
    "filt_none": {"zh": "按原值", "en": "as given"},
    "filt_hp": {"zh": "取 HP 滤波趋势（λ = 400）", "en": "HP-filtered trend (λ = 400)"},
    "merge_PS": {"zh": "Phillips–Sul (2009)", "en": "Phillips–Sul (2009)"},
    "merge_vLT": {"zh": "von Lyncker–Thoennessen (2017)", "en": "von Lyncker–Thoennessen (2017)"},
    "merge_none": {"zh": "不合并", "en": "none"},
    "clubs_reading_conv": {"zh": "全样本 log t 检验 b = {b:.3f}，t = {t:.2f} > −1.65，不拒绝整体收敛。",
                           "en": "The full-panel log t test gives b = {b:.3f}, t = {t:.2f} > −1.65: "
                                 "overall convergence is not rejected."},
    "clubs_reading_div": {"zh": "全样本 log t 检验 b = {b:.3f}，t = {t:.2f} < −1.65，拒绝整体收敛；"
                                "识别出 {k} 个初始俱乐部{merged}，{d} 个省份不属于任何俱乐部。",
                          "en": "The full-panel log t test gives b = {b:.3f}, t = {t:.2f} < −1.65: "
                                "overall convergence is rejected; {k} initial club(s){merged} and {d} "
                                "province(s) in no club."},
    "merged_into": {"zh": "，合并后为 {m} 个", "en": ", {m} after merging"},
    "clubs_fig": {"zh": "相对转移路径（俱乐部均值）", "en": "Relative transition paths (club means)"},
    "h_it": {"zh": "相对转移系数 h_it", "en": "relative transition h_it"},
    "club_line": {"zh": "俱乐部 {k}（{n} 个）", "en": "club {k} (n = {n})"},
    "divergent_line": {"zh": "发散组", "en": "divergent"},
    # --- LISA time paths and space-time transitions
    "part_lisa": {"zh": "LISA 时间路径与时空跃迁", "en": "LISA time paths and space–time transitions"},
    "region": {"zh": "区域", "en": "Region"},
    "all_units": {"zh": "全部", "en": "All"},
    "lp_n": {"zh": "省份数", "en": "Provinces"},
    "lp_path_length": {"zh": "平均路径长度", "en": "Mean path length"},
    "lp_relative_length": {"zh": "平均相对长度", "en": "Mean relative length"},
    "lp_tortuosity": {"zh": "平均曲折度", "en": "Mean tortuosity"},
    "sector0": {"zh": "协同上升（0°–90°）", "en": "Both up (0°–90°)"},
    "sector1": {"zh": "自身下降、邻域上升（90°–180°）", "en": "Own down, neighbours up (90°–180°)"},
    "sector2": {"zh": "协同下降（180°–270°）", "en": "Both down (180°–270°)"},
    "sector3": {"zh": "自身上升、邻域下降（270°–360°）", "en": "Own up, neighbours down (270°–360°)"},
    "lp_title": {"zh": "{v}的 LISA 时间路径：几何特征与移动方向（{first}—{last} 年）",
                 "en": "LISA time paths of the {v}: geometry and direction of movement ({first}–{last})"},
    "lp_note": {"zh": "各年将{v}标准化为 z = (y − 均值)/标准差（总体标准差），以行标准化的空间权重（{w}）计算空间滞后 W·z，"
                      "(z, W·z) 为省份在 Moran 散点图中的位置；路径长度 d_i 为相邻年份位置间距离之和，"
                      "相对长度 = N d_i / Σ d_j（全国均值为 1），曲折度 = d_i / 首末年位置的直线距离（1 为直线）；"
                      "移动方向按首年至末年位移向量自 z 轴逆时针的角度分为四个象限（Rey、Murray 与 Anselin，2011）。"
                      "各象限列为省份数。",
                "en": "In each year the {v} is standardised, z = (y − mean)/s.d. (population s.d.), "
                      "and its spatial lag Wz taken with the row-standardised weights ({w}): (z, Wz) is the "
                      "province's point in the Moran scatter plot. Path length d_i is the sum of the "
                      "distances between consecutive years, relative length = N d_i / Σ d_j (mean 1), "
                      "tortuosity = d_i / the straight distance between the first and last points "
                      "(1 = straight); the direction is the angle of the first-to-last move "
                      "counter-clockwise from the z axis, in four quadrants (Rey, Murray and "
                      "Anselin 2011). The quadrant columns count provinces."},
    "lp_inf_note": {"zh": "{n} 个省份首末年位置相同（曲折度无穷大），未计入平均曲折度。",
                    "en": "{n} province(s) end where they started (infinite tortuosity) and are "
                          "left out of the mean tortuosity."},
    "rank": {"zh": "排序", "en": "Rank"},
    "longest": {"zh": "路径最长", "en": "Longest path"},
    "tortuous": {"zh": "路径最曲折", "en": "Most tortuous path"},
    "relative_length": {"zh": "相对长度", "en": "Relative length"},
    "tortuosity": {"zh": "曲折度", "en": "Tortuosity"},
    "lp_top_title": {"zh": "{v}的 LISA 时间路径：相对长度与曲折度居前 {k} 位的省份",
                     "en": "LISA time paths of the {v}: the {k} provinces of longest and most "
                           "tortuous paths"},
    "lp_reading": {"zh": "{first}—{last} 年{v}的 LISA 时间路径中，相对长度最长的是{top}（{rl:.3f}），"
                         "其在 Moran 散点图中的相对位置变动最大；{grp}的平均相对长度最高（{grl:.3f}）；"
                         "平均曲折度为 {tort:.3f}，最曲折的是{tt}（{tv:.3f}）；"
                         "{share}的省份移动方向为“{sector}”。",
                   "en": "Among the LISA time paths of the {v} from {first} to {last}, {top} has the "
                         "longest (relative length {rl:.3f}): its relative position in the Moran "
                         "scatter plot moved most; {grp} has the largest mean relative length "
                         "({grl:.3f}); the mean tortuosity is {tort:.3f}, the most tortuous path is "
                         "{tt}'s ({tv:.3f}); {share} of the provinces moved in the direction "
                         "\"{sector}\"."},
    "type0": {"zh": "类型 0：自身与邻域均不跃迁", "en": "Type 0: neither the province nor its neighbours move"},
    "type1": {"zh": "类型 Ⅰ：仅自身跃迁", "en": "Type I: only the province moves"},
    "type2": {"zh": "类型 Ⅱ：仅邻域跃迁", "en": "Type II: only the neighbours move"},
    "type3": {"zh": "类型 Ⅲ：自身与邻域均跃迁", "en": "Type III: both move"},
    "total": {"zh": "合计", "en": "Total"},
    "tt_type": {"zh": "跃迁类型", "en": "Transition type"},
    "tt_count": {"zh": "次数", "en": "Count"},
    "tt_share": {"zh": "占比", "en": "Share"},
    "tt_title": {"zh": "{v}的 LISA 时空跃迁类型（{first}—{last} 年，{m} 次）",
                 "en": "Space–time transitions of the {v}'s LISA quadrants ({first}–{last}, {m} "
                       "transitions)"},
    "tt_note": {"zh": "象限按各年 Moran 散点图划分（HH、LH、LL、HL，不作显著性筛选），相邻两年为一次跃迁；"
                      "类型按 Rey (2001)：自身象限（高/低）与邻域象限（高/低）是否改变。"
                      "时空凝聚度 = 类型 0 占比 = {c:.4f}，时空流动度 = 1 − 凝聚度 = {f:.4f}。",
                "en": "Quadrants of each year's Moran scatter plot (HH, LH, LL, HL, no significance "
                      "filter); one transition per province and pair of consecutive years; types "
                      "as Rey (2001): whether the province's own side (high/low) and its "
                      "neighbours' side change. Space–time cohesion = share of Type 0 = {c:.4f}, "
                      "flux = 1 − cohesion = {f:.4f}."},
    "period": {"zh": "时段", "en": "Period"},
    "cohesion": {"zh": "时空凝聚度", "en": "Cohesion"},
    "t0": {"zh": "类型 0", "en": "Type 0"}, "t1": {"zh": "类型 Ⅰ", "en": "Type I"},
    "t2": {"zh": "类型 Ⅱ", "en": "Type II"}, "t3": {"zh": "类型 Ⅲ", "en": "Type III"},
    "tp_title": {"zh": "{v}的 LISA 时空跃迁：各时段类型次数与时空凝聚度",
                 "en": "Space–time transitions of the {v} by period: counts and cohesion"},
    "tt_reading": {"zh": "{m} 次时空跃迁中类型 0 占 {s0}（时空凝聚度 {c:.3f}），类型 Ⅰ 占 {s1}、"
                         "类型 Ⅱ 占 {s2}、类型 Ⅲ 占 {s3}；各时段凝聚度介于 {lo:.3f} 与 {hi:.3f} 之间，"
                         "局部空间集聚格局{how}。",
                   "en": "Of the {m} space–time transitions, Type 0 makes {s0} (cohesion {c:.3f}), "
                         "Type I {s1}, Type II {s2} and Type III {s3}; the cohesion of the periods "
                         "lies between {lo:.3f} and {hi:.3f}: the local clustering {how}."},
    "stable": {"zh": "以保持不变为主（类型 0 过半），具有路径依赖特征",
               "en": "mostly stays as it is (Type 0 above half): it is path-dependent"},
    "mobile": {"zh": "变动频繁（类型 0 不足一半）", "en": "changes often (Type 0 below half)"},
    "sector": {"zh": "扇区", "en": "Sector"},
    "rose_count": {"zh": "省份数", "en": "Provinces"},
    "rose_expected": {"zh": "置换期望", "en": "Expected (permutations)"},
    "rose_p": {"zh": "p 值", "en": "p-value"},
    "rose_title": {"zh": "{v}的 LISA 时间路径玫瑰图检验（{first}—{last} 年，{k} 个扇区）",
                   "en": "Rose diagram test of the {v}'s LISA moves ({first}–{last}, {k} sectors)"},
    "rose_note": {"zh": "各省份首年至末年在 Moran 散点图中的位移按方向（自 z 轴逆时针）计入扇区；"
                        "期望与双侧伪 p 值来自 {n} 次随机重排省份位置的置换（种子 {seed}）。",
                  "en": "Each province's move in the Moran scatter plot from the first to the last year "
                        "is counted in its sector (angle counter-clockwise from the z axis); "
                        "expectations and two-sided pseudo p-values from {n} random relabellings "
                        "of the provinces (formula of giddy Rose; seed {seed})."},
    "rose_reading": {"zh": "玫瑰图检验中在 5% 水平上显著偏离随机分布的扇区：{sig}。",
                     "en": "Sectors of the Rose diagram that depart from the random distribution "
                           "at 5%: {sig}."},
    "z_axis": {"zh": "标准化值 z", "en": "standardised value z"},
    "lag_axis": {"zh": "空间滞后 W·z", "en": "spatial lag Wz"},
    "lp_fig": {"zh": "相对长度居前 {k} 位省份的 LISA 时间路径", "en": "LISA time paths of the {k} longest paths"},
    "rose_fig": {"zh": "LISA 时间路径玫瑰图（首年至末年位移）",
                 "en": "Rose diagram of the LISA moves (first to last year)"},
    "flagged": {"zh": "{part}的估计被标记（{codes}），结果不能按常规解释。",
                "en": "{part}: the fit is flagged ({codes}) and cannot be interpreted as it stands."},
    # --- geodetector
    "factor": {"zh": "因子", "en": "Factor"},
    "q": {"zh": "q 值", "en": "q"},
    "p_value": {"zh": "p 值", "en": "p-value"},
    "n_strata": {"zh": "分层数", "en": "Strata"},
    "method": {"zh": "离散化方法", "en": "Discretisation"},
    "geo_title": {"zh": "{v}的地理探测器：因子探测（{years}）",
                  "en": "Geographical detector of the {v}: factor detector ({years})"},
    "geo_note": {"zh": "q = 1 − SSW/SST（一单元层保留）；p 值来自非中心 F(L−1, N−L, λ)；离散化：{how}。",
                 "en": "q = 1 − SSW/SST (one-unit strata kept); p from the non-central F(L−1, N−L, λ); "
                       "discretisation: {how}."},
    "how_opgd": {"zh": "最优参数地理探测器（OPGD：方法与分层数 k = 3…7 取 q 最大者）",
                 "en": "optimal parameters (OPGD: method and k = 3…7 of largest q)"},
    "how_categorical": {"zh": "因子取值即分层", "en": "the values are the strata"},
    "how_method": {"zh": "{m} 法，5 层", "en": "{m}, 5 strata"},
    "inter_title": {"zh": "{v}的地理探测器：交互作用探测（{years}）",
                    "en": "Geographical detector of the {v}: interaction detector ({years})"},
    "pair": {"zh": "因子对", "en": "Pair"},
    "q_a": {"zh": "q(A)", "en": "q(A)"},
    "q_b": {"zh": "q(B)", "en": "q(B)"},
    "q_ab": {"zh": "q(A∩B)", "en": "q(A∩B)"},
    "type": {"zh": "交互类型", "en": "Interaction"},
    "type_Weaken, nonlinear": {"zh": "非线性减弱", "en": "weaken, nonlinear"},
    "type_Weaken, uni-": {"zh": "单因子非线性减弱", "en": "weaken, uni-"},
    "type_Enhance, bi-": {"zh": "双因子增强", "en": "enhance, bi-"},
    "type_Independent": {"zh": "独立", "en": "independent"},
    "type_Enhance, nonlinear": {"zh": "非线性增强", "en": "enhance, nonlinear"},
    "m_equal": {"zh": "等间距", "en": "equal"}, "m_natural": {"zh": "自然断点", "en": "natural breaks"},
    "m_quantile": {"zh": "分位数", "en": "quantile"}, "m_geometric": {"zh": "几何间隔", "en": "geometric"},
    "m_sd": {"zh": "标准差", "en": "standard deviation"}, "m_categorical": {"zh": "类别", "en": "categorical"},
    "m_manual": {"zh": "手动断点", "en": "manual"},
    "geo_reading": {"zh": "{year} 年解释力最强的因子为 {f}（q = {q:.3f}，p = {p:.3f}）{sig}。",
                    "en": "In {year} the factor of largest explanatory power is {f} (q = {q:.3f}, "
                          "p = {p:.3f}){sig}."},
    "sig_yes": {"zh": "，在 5% 水平上显著", "en": ", significant at 5%"},
    "sig_no": {"zh": "，在 5% 水平上不显著", "en": ", not significant at 5%"},
    "inter_reading": {"zh": "{year} 年交互作用最强的是 {a} ∩ {b}（q = {q:.3f}，{type}）；"
                            "{ne}/{n} 对因子的交互为增强型。",
                      "en": "In {year} the strongest interaction is {a} ∩ {b} (q = {q:.3f}, {type}); "
                            "{ne} of {n} pairs enhance each other."},
    "inter_fig": {"zh": "{year} 年地理探测器交互作用 q 值", "en": "Geodetector interaction q, {year}"},
    "geo_years_absent": {"zh": "地理探测器年份 {years} 不在数据中。",
                         "en": "Geodetector years {years} are not in the data."},
}


def _compass(bearing: float) -> str:
    return f"dir{int(((bearing % 360.0) + 22.5) // 45.0) % 8}"


def _fail(state, part, exc, notes):
    notes.append(state.text(TEXT, "part_failed", part=state.text(TEXT, part), why=str(exc)))


def run(state: State) -> StageOutput:
    col = state.variable("patterns")
    cfg = state.config.get("patterns")
    v = state.var_label(col)
    out = {"tables": [], "figures": [], "readings": [], "numbers": {}, "notes": []}
    status = "ok"
    if cfg["centre"]:
        try:
            _centre(state, col, v, cfg, out)
        except SpatialNQPFError as exc:
            _fail(state, "part_centre", exc, out["notes"])
            status = "warning"
    if not cfg["population"]:
        out["notes"].append(state.text(TEXT, "no_population"))
        out["numbers"]["network_skipped"] = "no population column ([patterns] population)"
    else:
        try:
            if _network(state, col, v, cfg, out):
                status = "warning"
        except SpatialNQPFError as exc:
            _fail(state, "part_network", exc, out["notes"])
            status = "warning"
    if cfg["clubs"]:
        try:
            if _clubs(state, col, v, cfg, out):
                status = "warning"
        except SpatialNQPFError as exc:
            _fail(state, "part_clubs", exc, out["notes"])
            status = "warning"
    if cfg["lisa_paths"]:
        try:
            if _lisa_paths(state, col, v, out):
                status = "warning"
        except SpatialNQPFError as exc:
            _fail(state, "part_lisa", exc, out["notes"])
            status = "warning"
    if cfg["factors"]:
        try:
            _geodetector(state, col, v, cfg, out)
        except SpatialNQPFError as exc:
            _fail(state, "part_geo", exc, out["notes"])
            status = "warning"
    return StageOutput(status=status, **out)


# ----------------------------------------------------------------- centre and ellipse
def _centre(state, col, v, cfg, out):
    coords = None
    if state.level == "city":  # cities at their polygon centroids (capitals exist for provinces only)
        from ...weights._api import resolve_points
        coords = resolve_points("centroids", pd.Index(sorted(state.frame["code"].unique())), "city")[0]
    ell = patterns.std_ellipse(state.frame, col, id="code", time="year", coords=coords,
                               method=cfg["ellipse_method"])
    tab = ell.table.set_index("year")
    out["numbers"]["ellipse"] = ell.table
    keep = ["lon", "lat", "distance_km", "direction_deg", "sigma_x_km", "sigma_y_km",
            "rotation_deg", "area_km2", "shape_index"]
    show = tab[keep].copy()
    show["area_km2"] = show["area_km2"] / 1e4
    show.index.name = state.text(TEXT, "year")
    labels = {k: state.text(TEXT, k) for k in keep}
    out["tables"].append(frame_table(
        show, name="gravity_centre_ellipse", labels=labels,
        digits={"lon": 3, "lat": 3, "distance_km": 2, "direction_deg": 1, "sigma_x_km": 1,
                "sigma_y_km": 1, "rotation_deg": 1, "area_km2": 2, "shape_index": 3},
        title=state.text(TEXT, "centre_title", v=v),
        notes=[(lambda t: t.replace("城市位于省会", "城市位于其行政区域的几何中心").replace(
            "Cities at their capitals", "Cities at their polygon centroids")
            if state.level == "city" else t)(state.text(TEXT, "centre_note",
                          method=state.text(TEXT, f"method_{cfg['ellipse_method']}")))]))
    first, last = tab.index[0], tab.index[-1]
    r0, r1 = tab.loc[first], tab.loc[last]
    dx, dy = r1["x_km"] - r0["x_km"], r1["y_km"] - r0["y_km"]
    net = float(np.hypot(dx, dy))
    bearing = float(np.degrees(np.arctan2(dx, dy)) % 360.0)
    out["readings"].append(state.text(
        TEXT, "centre_reading", first=first, last=last, v=v,
        path=float(np.nansum(tab["distance_km"])), net=net,
        dir=state.text(TEXT, _compass(bearing)), lon0=r0["lon"], lat0=r0["lat"],
        lon1=r1["lon"], lat1=r1["lat"]))
    a0, a1 = r0["area_km2"] / 1e4, r1["area_km2"] / 1e4
    grew = a1 >= a0
    out["readings"].append(state.text(
        TEXT, "ellipse_reading", a0=a0, a1=a1, pc=pct(a1 / a0 - 1, 1),
        chg=state.text(TEXT, "grew" if grew else "shrank"),
        what=state.text(TEXT, "dispersed" if grew else "concentrated"),
        r0=r0["rotation_deg"], r1=r1["rotation_deg"], s1=r1["shape_index"]))
    out["numbers"]["centre_summary"] = {"net_km": net, "bearing_deg": bearing,
                                        "path_km": float(np.nansum(tab["distance_km"]))}
    if state.figures:
        years = [int(y) for y in cfg["ellipse_years"]]
        absent = [y for y in years if y not in tab.index]
        if absent:
            out["notes"].append(state.text(TEXT, "years_absent", years=", ".join(map(str, absent))))
        years = [y for y in years if y in tab.index] or None
        ax = _plot().plot_ellipses(ell, years=years, lang=state.fig_lang)
        for line in ax.get_lines():
            if line.get_label() in ("centre", "重心"):
                line.set_label(state.ftext(TEXT, "centre_path"))
        ax.legend(loc="lower left", fontsize=8, frameon=False)
        out["figures"].append(state.save_figure(ax.figure, "std_ellipse",
                                                state.text(TEXT, "ellipse_fig")))


def _plot():
    from ... import plot_patterns
    return plot_patterns


# ----------------------------------------------------------------- network
def _network(state, col, v, cfg, out):
    net = network.gravity_network(state.frame, col, id="code", time="year",
                                  population=cfg["population"], gdp=cfg["gdp"])
    # whole-network metrics of every year as network.metrics (its node centralities, the
    # costly part, only for the last year)
    graph = pd.DataFrame([{"year": t, **network.graph_metrics(net[t].a.to_numpy(int))}
                          for t in net.years])
    g = graph.set_index("year")
    out["numbers"]["network_metrics"] = graph
    keep = ["ties", "density", "connectedness", "hierarchy", "efficiency"]
    show = g[keep].copy()
    show.index.name = state.text(TEXT, "year")
    out["tables"].append(frame_table(
        show, name="network_structure", labels={k: state.text(TEXT, k) for k in keep}, digits=4,
        title=state.text(TEXT, "network_title", v=v),
        notes=[state.text(TEXT, "network_note", pop=cfg["population"], gdp=cfg["gdp"], v=v)]))
    first, last = g.index[0], g.index[-1]
    out["readings"].append(state.text(
        TEXT, "network_reading", first=first, last=last, l0=int(g.loc[first, "ties"]),
        l1=int(g.loc[last, "ties"]), d0=g.loc[first, "density"], d1=g.loc[last, "density"],
        c1=g.loc[last, "connectedness"], h1=g.loc[last, "hierarchy"],
        e1=g.loc[last, "efficiency"]))
    nodes = network.metrics(net[last]).nodes.drop(columns="year")
    out["numbers"]["network_nodes_last"] = nodes
    ncols = ["in_degree", "out_degree", "degree_centrality", "closeness_in", "closeness_out",
             "betweenness"]
    nshow = nodes[ncols].copy()
    nshow.index = state.province_names(nshow.index)
    nshow.index.name = state.text(TEXT, "province")
    out["tables"].append(frame_table(
        nshow, name="network_centrality", labels={k: state.text(TEXT, k) for k in ncols},
        digits=3, title=state.text(TEXT, "centrality_title", year=last)))
    top = nshow.index[int(np.argmax(nodes["degree_centrality"].to_numpy()))]
    bi = int(np.argmax(nodes["betweenness"].to_numpy()))
    out["readings"].append(state.text(TEXT, "centrality_reading", last=last, top=top,
                                      bt=nshow.index[bi], bv=float(nodes["betweenness"].iloc[bi])))
    bm = network.block_model(net, n_blocks=int(cfg["blocks"]))
    out["numbers"]["blocks"] = bm.roles
    out["numbers"]["block_density"] = bm.density
    out["numbers"]["block_image"] = bm.image
    roles = bm.roles.copy()
    roles["members"] = ["、".join(state.province_names(m)) if state.lang == "zh"
                        else ", ".join(state.province_names(m)) for m in roles["members"]]
    roles["role"] = [state.text(TEXT, f"role_{r}") for r in roles["role"]]
    rcols = ["n", "members", "internal", "sent_out", "received", "expected_internal_ratio",
             "internal_ratio", "role"]
    rshow = roles[rcols].set_axis([f"B{k}" for k in roles["block"]])   # as the density table
    rshow.index.name = state.text(TEXT, "block")
    out["tables"].append(frame_table(
        rshow, name="network_blocks", labels={k: state.text(TEXT, k) for k in rcols}, digits=3,
        title=state.text(TEXT, "blocks_title", year=last),
        notes=[state.text(TEXT, "blocks_note", splits=int(round(np.log2(cfg["blocks"]))))]))
    dshow = bm.density.copy()
    img = bm.image.to_numpy()
    dshow = pd.DataFrame([[f"{dshow.iat[i, j]:.3f}" + ("*" if img[i, j] else "")
                           for j in range(dshow.shape[1])] for i in range(dshow.shape[0])],
                         index=[f"B{k}" for k in bm.density.index],
                         columns=[f"B{k}" for k in bm.density.columns])
    dshow.index.name = f"{state.text(TEXT, 'from')} \\ {state.text(TEXT, 'to')}"
    out["tables"].append(frame_table(dshow, name="network_block_density",
                                     title=state.text(TEXT, "density_title", year=last)))
    sep = "；" if state.lang == "zh" else "; "
    parts = sep.join(state.text(TEXT, "block_part", b=r.block, m=r.n,
                                role=state.text(TEXT, f"role_{r.role}"))
                     for r in bm.roles.itertuples())
    out["readings"].append(state.text(TEXT, "blocks_reading", year=last, n=len(bm.blocks),
                                      k=len(bm.roles), parts=parts))
    flagged = bool(cfg["qap_permutations"]) and _qap(state, net[last], cfg, out)
    if state.figures:
        ax = _plot().plot_network(net[last], lang=state.fig_lang)
        out["figures"].append(state.save_figure(ax.figure, "association_network",
                                                state.text(TEXT, "network_fig", year=last)))
        ax = _plot().plot_block_image(bm)
        ax.set_xlabel(state.ftext(TEXT, "to"))
        ax.set_ylabel(state.ftext(TEXT, "from"))
        out["figures"].append(state.save_figure(ax.figure, "block_image",
                                                state.text(TEXT, "block_fig", year=last)))
    return flagged


def _qap(state, yn, cfg, out) -> bool:
    """MRQAP of the 0/1 network on geographic adjacency and |x_i − x_j| of the factors;
    True when the fit is flagged (then marked, and not read)."""
    from ..._validation import as_generator, graph_to_sparse
    ids = yn.a.index
    w = state.weights.get("contiguity")   # the weights stage's matrix when it ran; ties = w > 0
    if w is None:
        w = _contiguity(state, ids)
    adj = (graph_to_sparse(w, ids).toarray() > 0).astype(float)
    xs = {state.text(TEXT, "adjacency"): pd.DataFrame(adj, index=ids, columns=ids)}
    last = state.frame[state.frame["year"] == yn.year].set_index("code")
    for f in cfg["factors"]:
        x = last.loc[ids, f].to_numpy(float)
        xs[f"|Δ{f}|"] = pd.DataFrame(np.abs(x[:, None] - x[None, :]), index=ids, columns=ids)
    n_perm = int(cfg["qap_permutations"])
    res = network.qap(yn.a.astype(float), xs, n_perm=n_perm,
                      seed=as_generator(state.seed, "patterns-qap"))
    td = res.tidy()
    corr = res.correlation.reindex(td["term"])
    out["numbers"]["qap"] = td
    out["numbers"]["qap_correlation"] = res.correlation
    out["numbers"]["qap_r2"] = {"r2": res.r2, "adj_r2": res.adj_r2, "nobs": res.nobs}
    show = pd.DataFrame({"estimate": td["estimate"].to_numpy(), "statistic": td["statistic"].to_numpy(),
                         "p_value": td["p_value"].to_numpy(), "r": corr["r"].to_numpy(),
                         "p_r": corr["p_value"].to_numpy()},
                        index=[state.text(TEXT, "intercept") if t == "(intercept)" else t
                               for t in td["term"]])
    show.index.name = state.text(TEXT, "term")
    out["tables"].append(frame_table(
        show, name="network_qap", labels={k: state.text(TEXT, f"qap_{k}") for k in show.columns},
        digits=4, title=state.text(TEXT, "qap_title", year=yn.year),
        notes=[state.text(TEXT, "qap_note", n=n_perm, seed=state.seed, r2=res.r2, cells=res.nobs)]))
    if res.flags:
        msg = state.text(TEXT, "flagged", part=state.text(TEXT, "qap_part"),
                         codes=", ".join(f.code for f in res.flags))
        out["notes"].append(msg)
        out["readings"].append(msg)
        return True
    sig = [t for t, p in zip(show.index[1:], show["p_value"].iloc[1:]) if p < 0.05]
    out["readings"].append(state.text(TEXT, "qap_reading", year=yn.year, r2=res.r2,
                                      sig=("、" if state.lang == "zh" else ", ").join(sig)
                                      if sig else state.text(TEXT, "qap_none")))
    return False


# ----------------------------------------------------------------- clubs
def _clubs(state, col, v, cfg, out) -> bool:
    merge = None if cfg["club_merge"] == "none" else cfg["club_merge"]
    res = dynamics.club_convergence(state.frame, col, id="code", time="year",
                                    filter=cfg["club_filter"] or None, merge=merge)
    out["numbers"]["clubs"] = res.clubs.drop(columns="members")
    out["numbers"]["clubs_tidy"] = res.tidy()
    out["numbers"]["club_membership"] = res.membership
    if res.merged is not None:
        out["numbers"]["clubs_merged"] = res.merged.drop(columns="members")
    join = "、" if state.lang == "zh" else ", "
    rows = [{"row": state.text(TEXT, "panel_row"), "n": int(res.info["n"]),
             "beta": res.params["panel"], "std_error": res.bse["panel"],
             "t": res.tvalues["panel"], "members": ""}]
    for r in res.clubs.itertuples():
        rows.append({"row": state.text(TEXT, "initial_row", k=r.club), "n": r.n, "beta": r.beta,
                     "std_error": r.std_error, "t": r.t,
                     "members": join.join(state.province_names(r.members))})
    if res.merged is not None:
        for r in res.merged.itertuples():
            rows.append({"row": state.text(TEXT, "merged_row", k=r.club), "n": r.n,
                         "beta": r.beta, "std_error": r.std_error, "t": r.t,
                         "members": join.join(state.province_names(r.members))})
    if res.divergent:
        rows.append({"row": state.text(TEXT, "divergent_row"), "n": len(res.divergent),
                     "beta": np.nan, "std_error": np.nan, "t": np.nan,
                     "members": join.join(state.province_names(res.divergent))})
    tab = pd.DataFrame(rows).set_index("row")
    tab.index.name = state.text(TEXT, "club")
    cols = ["n", "beta", "std_error", "t", "members"]
    labels = {k: state.text(TEXT, k) for k in cols}
    notes = [state.text(TEXT, "clubs_note",
                        filt=state.text(TEXT, "filt_hp" if cfg["club_filter"] else "filt_none"),
                        merge=state.text(TEXT, f"merge_{cfg['club_merge']}"))]
    flagged = bool(res.flags)
    if flagged:
        notes.append(state.text(TEXT, "flagged", part=state.text(TEXT, "part_clubs"),
                                codes=", ".join(f.code for f in res.flags)))
    out["tables"].append(frame_table(tab[cols], name="club_convergence", labels=labels,
                                     digits={"beta": 4, "std_error": 4, "t": 2},
                                     title=state.text(TEXT, "clubs_title", v=v), notes=notes))
    b, t = float(res.params["panel"]), float(res.tvalues["panel"])
    if flagged:
        out["readings"].append(notes[-1])
    elif res.converges:
        out["readings"].append(state.text(TEXT, "clubs_reading_conv", b=b, t=t))
    else:
        merged = ("" if res.merged is None else
                  state.text(TEXT, "merged_into", m=len(res.merged)))
        out["readings"].append(state.text(TEXT, "clubs_reading_div", b=b, t=t, k=len(res.clubs),
                                          merged=merged, d=len(res.divergent)))
    if state.figures:
        ax = _plot().plot_transition_paths(res)
        for line in ax.get_lines():
            lab = line.get_label()
            if lab.startswith("club "):
                k, n = lab[5:].split(" (n=")
                line.set_label(state.ftext(TEXT, "club_line", k=k, n=n.rstrip(")")))
            elif lab == "divergent":
                line.set_label(state.ftext(TEXT, "divergent_line"))
        ax.legend(fontsize=8, frameon=False)
        ax.set_ylabel(state.ftext(TEXT, "h_it"))
        ax.set_xlabel(state.ftext(TEXT, "year"))
        out["figures"].append(state.save_figure(ax.figure, "club_transition_paths",
                                                state.text(TEXT, "clubs_fig")))
    return flagged


# ----------------------------------------------------------------- LISA time paths
#: permutations of the Rose diagram test and the number of units in the top tables / figure
LISA_PERMUTATIONS = 999
LISA_SECTORS = 8
LISA_TOP = 5


def _lisa_weights(state):
    """(W, label): the first matrix of the weights stage (as the spatial Markov chain of the
    dynamics stage), else contiguity built here from the ``[weights]`` options."""
    if state.weights:
        name = next(iter(state.weights))
        return state.weights[name], state.weight_labels.get(name, name)
    from ...weights import registry
    return (_contiguity(state, sorted(state.frame["code"].unique())),
            registry.label("contiguity", state.lang))


def _contiguity(state, ids):
    """Contiguity of ``ids`` from the ``[weights]`` options (island rule, level), for the
    parts that run without the weights stage (the single command ``spatialnqpf patterns``)."""
    from ...weights import registry
    opts = dict(state.config.get("weights"), level=state.level)
    return registry.build("contiguity", list(ids), state.frame, opts)


def _lisa_paths(state, col, v, out):
    """LISA time paths and space-time transitions of :func:`spatialnqpf.patterns.lisa_paths`:
    path geometry by region, the top units, the transition types and the Rose test; True
    when the result is flagged (then marked in the notes, and not read)."""
    from ..._validation import as_generator
    w, wlab = _lisa_weights(state)
    res = patterns.lisa_paths(state.frame, col, w, id="code", time="year", k=LISA_SECTORS,
                              permutations=LISA_PERMUTATIONS,
                              seed=as_generator(state.seed, "patterns-lisa-paths"))
    years = sorted(state.frame["year"].unique())
    first, last = int(years[0]), int(years[-1])
    sep = "、" if state.lang == "zh" else ", "
    p = res.paths
    sectors = list(patterns.PATH_SECTORS)
    skey = {name: f"sector{i}" for i, name in enumerate(sectors)}
    # (a) path geometry by region group and overall
    grp = state.groups("region4", p.index)
    order = [g for g in ("East", "Central", "West", "Northeast") if g in set(grp)]
    order += sorted(set(grp) - set(order), key=str)
    rows, labels = [], []
    for g in order + [None]:
        sub = p if g is None else p.loc[grp.index[grp == g]]
        tort = sub["tortuosity"].to_numpy(float)
        fin = tort[np.isfinite(tort)]
        rec = {"n": len(sub), "path_length": float(sub["path_length"].mean()),
               "relative_length": float(sub["relative_length"].mean()),
               "tortuosity": float(fin.mean()) if len(fin) else np.nan}
        cnt = sub["sector"].value_counts()
        rec.update({skey[name]: int(cnt.get(name, 0)) for name in sectors})
        rows.append(rec)
        labels.append(state.text(TEXT, "all_units") if g is None else state.region_label(g))
    summ = pd.DataFrame(rows, index=pd.Index(labels, name=state.text(TEXT, "region")))
    cols = ["n", "path_length", "relative_length", "tortuosity"] + [skey[n] for n in sectors]
    lab = {"n": state.text(TEXT, "lp_n")}
    lab.update({k: state.text(TEXT, f"lp_{k}") for k in ("path_length", "relative_length",
                                                         "tortuosity")})
    lab.update({skey[n]: state.text(TEXT, skey[n]) for n in sectors})
    n_inf = int((~np.isfinite(p["tortuosity"].to_numpy(float))).sum())
    notes = [state.text(TEXT, "lp_note", v=v, w=wlab)]
    if n_inf:
        notes.append(state.text(TEXT, "lp_inf_note", n=n_inf))
    out["tables"].append(frame_table(summ[cols], name="lisa_paths_summary", labels=lab,
                                     digits=3, title=state.text(TEXT, "lp_title", v=v,
                                                                first=first, last=last),
                                     notes=notes))
    # (a') the units of longest and of most tortuous path
    k = min(LISA_TOP, len(p))
    longest = p["relative_length"].sort_values(ascending=False, kind="stable").iloc[:k]
    tortuous = p["tortuosity"].sort_values(ascending=False, kind="stable").iloc[:k]
    top = pd.DataFrame({"longest": state.province_names(longest.index),
                        "relative_length": longest.to_numpy(float),
                        "tortuous": state.province_names(tortuous.index),
                        "tortuosity": tortuous.to_numpy(float)},
                       index=pd.Index(range(1, k + 1), name=state.text(TEXT, "rank")))
    out["tables"].append(frame_table(
        top, name="lisa_paths_top", labels={c: state.text(TEXT, c) for c in top.columns},
        digits=3, title=state.text(TEXT, "lp_top_title", v=v, k=k)))
    # (b) transition types over all years and by period
    ts = res.type_shares
    m = int(ts["count"].sum())
    cohesion = res.cohesion
    tkey = {t: f"type{i}" for i, t in enumerate(patterns.TRANSITION_TYPES)}
    tshow = pd.DataFrame({"count": ts["count"].astype(int).to_numpy(),
                          "share": ts["share"].to_numpy(float)},
                         index=[state.text(TEXT, tkey[t]) for t in ts.index])
    tshow.loc[state.text(TEXT, "total")] = [m, float(ts["share"].sum())]
    tshow["count"] = tshow["count"].astype(int)
    tshow.index.name = state.text(TEXT, "tt_type")
    out["tables"].append(frame_table(
        tshow, name="lisa_transition_types", percent=("share",), digits={"share": 3},
        labels={"count": state.text(TEXT, "tt_count"), "share": state.text(TEXT, "tt_share")},
        title=state.text(TEXT, "tt_title", v=v, first=first, last=last, m=m),
        notes=[state.text(TEXT, "tt_note", c=cohesion, f=1 - cohesion)]))
    tr = res.transitions
    by = pd.crosstab(tr["year"], tr["type"]).reindex(columns=list(patterns.TRANSITION_TYPES),
                                                     fill_value=0)
    nxt = dict(zip(years[:-1], years[1:]))
    per = pd.DataFrame({f"t{i}": by[t].astype(int).to_numpy()
                        for i, t in enumerate(patterns.TRANSITION_TYPES)},
                       index=pd.Index([f"{int(y)}–{int(nxt[y])}" for y in by.index],
                                      name=state.text(TEXT, "period")))
    per["cohesion"] = by["Type 0"].to_numpy() / by.sum(axis=1).to_numpy()
    out["tables"].append(frame_table(
        per, name="lisa_transitions_by_period", digits={"cohesion": 3},
        labels={c: state.text(TEXT, c) for c in per.columns},
        title=state.text(TEXT, "tp_title", v=v)))
    # Rose diagram test of the first-to-last moves
    rose = res.rose
    rshow = rose[["count", "expected", "p_value"]].copy()
    rshow["count"] = rshow["count"].astype(int)
    rshow.index = pd.Index([f"{a:.0f}°–{b:.0f}°" for a, b in zip(rose["from_deg"], rose["to_deg"])],
                           name=state.text(TEXT, "sector"))
    out["tables"].append(frame_table(
        rshow, name="lisa_rose", digits={"expected": 3, "p_value": 3}, pvalues=("p_value",),
        labels={"count": state.text(TEXT, "rose_count"),
                "expected": state.text(TEXT, "rose_expected"),
                "p_value": state.text(TEXT, "rose_p")},
        title=state.text(TEXT, "rose_title", v=v, first=first, last=last, k=LISA_SECTORS),
        notes=[state.text(TEXT, "rose_note", n=LISA_PERMUTATIONS, seed=state.seed)]))
    out["numbers"].update(_lisa_numbers(state, res, p, summ, order, cols, longest, tortuous,
                                        by, per, cohesion, m, wlab))
    flags = tuple(getattr(res, "flags", ()) or ())
    if flags:
        msg = state.text(TEXT, "flagged", part=state.text(TEXT, "part_lisa"),
                         codes=", ".join(f.code for f in flags))
        out["notes"].append(msg)
        out["readings"].append(msg)
    else:
        _lisa_readings(state, v, first, last, p, summ, top, longest, tortuous, ts, per, rose,
                       rshow, cohesion, m, sectors, skey, sep, out)
    if state.figures:
        names = dict(zip(p.index, state.province_names(p.index, fig=True)))
        ax = _plot().plot_lisa_paths(res, ids=list(longest.index), labels=names)
        ax.set_ylabel(state.ftext(TEXT, "lag_axis"))
        ax.set_xlabel(state.ftext(TEXT, "z_axis"))
        out["figures"].append(state.save_figure(ax.figure, "lisa_time_paths",
                                                state.text(TEXT, "lp_fig", k=k)))
        ax = _plot().plot_rose(res)
        out["figures"].append(state.save_figure(ax.figure, "lisa_rose",
                                                state.text(TEXT, "rose_fig")))
    return bool(flags)


def _lisa_readings(state, v, first, last, p, summ, top, longest, tortuous, ts, per, rose,
                   rshow, cohesion, m, sectors, skey, sep, out):
    """Reading sentences of the LISA time paths part, from its tables' frames."""
    gmeans = summ["relative_length"].iloc[:-1]
    gi = int(np.argmax(gmeans.to_numpy()))
    scount = p["sector"].value_counts()
    smode = max(sectors, key=lambda s_: (int(scount.get(s_, 0)), -sectors.index(s_)))
    out["readings"].append(state.text(
        TEXT, "lp_reading", v=v, first=first, last=last, top=top["longest"].iloc[0],
        rl=float(longest.iloc[0]), grp=gmeans.index[gi], grl=float(gmeans.iloc[gi]),
        tort=float(summ["tortuosity"].iloc[-1]), tt=top["tortuous"].iloc[0],
        tv=float(tortuous.iloc[0]), share=pct(int(scount.get(smode, 0)) / len(p)),
        sector=state.text(TEXT, skey[smode]).split("（")[0].split(" (")[0]))
    sh = ts["share"]
    out["readings"].append(state.text(
        TEXT, "tt_reading", m=m, c=cohesion, s0=pct(sh["Type 0"], 1), s1=pct(sh["Type I"], 1),
        s2=pct(sh["Type II"], 1), s3=pct(sh["Type III"], 1), lo=float(per["cohesion"].min()),
        hi=float(per["cohesion"].max()),
        how=state.text(TEXT, "stable" if cohesion >= 0.5 else "mobile")))
    sig = [i for i, pv in zip(rshow.index, rose["p_value"]) if np.isfinite(pv) and pv < 0.05]
    out["readings"].append(state.text(TEXT, "rose_reading",
                                      sig=sep.join(sig) if sig else state.text(TEXT, "qap_none")))


def _lisa_numbers(state, res, p, summ, order, cols, longest, tortuous, by, per, cohesion, m,
                  wlab) -> dict:
    """The LISA time paths part's numbers for ``results.json``."""
    return {
        "lisa_paths": p,
        "lisa_paths_summary": summ.set_axis([*order, "all"], axis=0)[cols].rename_axis("group"),
        "lisa_paths_top": {"longest": longest, "tortuous": tortuous},
        "lisa_transition_types": res.type_shares,
        "lisa_transitions_by_period": by.assign(cohesion=per["cohesion"].to_numpy()),
        "lisa_transition_probs": res.transition_probs,
        "lisa_cohesion": {"cohesion": cohesion, "flux": 1 - cohesion, "transitions": m},
        "lisa_rose": res.rose,
        "lisa_settings": {"weights": wlab, "permutations": LISA_PERMUTATIONS,
                          "sectors": LISA_SECTORS, "seed": state.seed,
                          "seed_key": "patterns-lisa-paths"},
    }


# ----------------------------------------------------------------- geodetector
def _geodetector(state, col, v, cfg, out):
    f = state.frame
    all_years = sorted(f["year"].unique())
    years = [int(y) for y in cfg["geodetector_years"]] or [int(all_years[-1])]
    absent = [y for y in years if y not in all_years]
    if absent:
        out["notes"].append(state.text(TEXT, "geo_years_absent", years=", ".join(map(str, absent))))
    years = [y for y in years if y in all_years]
    if not years:
        return
    d = cfg["discretize"]
    disc = None if d == "categorical" else d
    geo = patterns.geodetector(f[f["year"].isin(years)], y=col, factors=list(cfg["factors"]),
                               discretize=disc, id="code", time="year")
    out["numbers"]["geodetector_factor"] = geo.factor
    out["numbers"]["geodetector_interaction"] = geo.interaction
    out["numbers"]["geodetector_ecological"] = geo.ecological
    out["numbers"]["geodetector_discretization"] = geo.discretization.assign(
        breaks=[list(b) for b in geo.discretization["breaks"]])
    ylab = ", ".join(map(str, years))
    fac = geo.factor.merge(geo.discretization[["factor", "year", "method", "k"]],
                           on=["factor", "year"])

    def mlabel(m):
        base = m.split(":", 1)[-1]
        name = state.text(TEXT, f"m_{base}") if f"m_{base}" in TEXT else base
        return f"OPGD: {name}" if m.startswith("opgd:") else name
    fac["method"] = [mlabel(m) for m in fac["method"]]
    multi = len(years) > 1
    idx = [f"{r.factor} ({r.year})" if multi else r.factor for r in fac.itertuples()]
    fshow = fac[["q", "p_value", "n_strata", "method"]].set_axis(idx)
    fshow.index.name = state.text(TEXT, "factor")
    how = (state.text(TEXT, "how_opgd") if d == "opgd" else state.text(TEXT, "how_categorical")
           if d == "categorical" else state.text(TEXT, "how_method", m=state.text(TEXT, f"m_{d}")))
    out["tables"].append(frame_table(
        fshow, name="geodetector_factor",
        labels={k: state.text(TEXT, k) for k in ("q", "p_value", "n_strata", "method")},
        digits={"q": 4, "p_value": 4}, title=state.text(TEXT, "geo_title", v=v, years=ylab),
        notes=[state.text(TEXT, "geo_note", how=how)]))
    for y in years:
        fy = geo.factor[geo.factor["year"] == y]
        best = fy.loc[fy["q"].idxmax()]
        out["readings"].append(state.text(
            TEXT, "geo_reading", year=y, f=best["factor"], q=best["q"], p=best["p_value"],
            sig=state.text(TEXT, "sig_yes" if best["p_value"] < 0.05 else "sig_no")))
    it = geo.interaction
    if len(it):
        ishow = it.copy()
        ishow["type"] = [state.text(TEXT, f"type_{t}") for t in ishow["type"]]
        idx = [f"{r.factor_a} ∩ {r.factor_b}" + (f" ({r.year})" if multi else "")
               for r in ishow.itertuples()]
        ishow = ishow[["q_a", "q_b", "q_ab", "type"]].set_axis(idx)
        ishow.index.name = state.text(TEXT, "pair")
        out["tables"].append(frame_table(
            ishow, name="geodetector_interaction",
            labels={k: state.text(TEXT, k) for k in ("q_a", "q_b", "q_ab", "type")}, digits=4,
            title=state.text(TEXT, "inter_title", v=v, years=ylab)))
        for y in years:
            iy = it[it["year"] == y]
            top = iy.loc[iy["q_ab"].idxmax()]
            out["readings"].append(state.text(
                TEXT, "inter_reading", year=y, a=top["factor_a"], b=top["factor_b"],
                q=top["q_ab"], type=state.text(TEXT, f"type_{top['type']}"),
                ne=int(iy["type"].str.startswith("Enhance").sum()), n=len(iy)))
        if state.figures:
            y = years[-1]
            from types import SimpleNamespace  # plot_interaction reads factor and interaction
            sub = SimpleNamespace(factor=geo.factor[geo.factor["year"] == y],
                                  interaction=it[it["year"] == y])
            ax = _plot().plot_interaction(sub)
            out["figures"].append(state.save_figure(ax.figure, "geodetector_interaction",
                                                    state.text(TEXT, "inter_fig", year=y)))


STAGE = Stage(name="patterns", title=TEXT["title"], run=run, requires=("index",),
              command="patterns", help=TEXT["help"]["en"])
