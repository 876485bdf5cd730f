"""The presenters of a deal review ranked by their average score (a SQL view over the scores)."""

from odoo import fields, models


class KamDealReviewRank(models.Model):
    """The presenters of a review by their average total, best first (a SQL view)."""

    _name = "kam.deal.review.rank"
    _description = "Deal Review Ranking"
    _auto = False
    _order = "review_id, rank, presenter_id"
    _depends = {
        "kam.deal.review": ["company_id"],
        "kam.deal.review.line": ["review_id", "presenter_id"],
        "kam.deal.review.score": ["line_id", "total"],
    }

    review_id = fields.Many2one("kam.deal.review", readonly=True)
    presenter_id = fields.Many2one("res.users", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    rank = fields.Integer(readonly=True, help="1 is the best; equal scores share a rank.")
    score = fields.Float(string="Average Score", readonly=True, digits=(16, 2), help="Average of every total given.")
    score_count = fields.Integer(string="Scores", readonly=True)
    line_count = fields.Integer(string="Deals", readonly=True)

    def init(self):
        self.env.cr.execute(
            """
            CREATE OR REPLACE VIEW kam_deal_review_rank AS (
                SELECT MIN(line.id) AS id,
                       line.review_id,
                       line.presenter_id,
                       review.company_id,
                       ROUND(AVG(score.total)::numeric, 2)::float AS score,
                       RANK() OVER (PARTITION BY line.review_id
                                    ORDER BY ROUND(AVG(score.total)::numeric, 2) DESC) AS rank,
                       COUNT(score.id) AS score_count,
                       COUNT(DISTINCT line.id) AS line_count
                  FROM kam_deal_review_line line
                  JOIN kam_deal_review review ON review.id = line.review_id
                  JOIN kam_deal_review_score score ON score.line_id = line.id
                 WHERE line.presenter_id IS NOT NULL
              GROUP BY line.review_id, line.presenter_id, review.company_id
            )
            """
        )
